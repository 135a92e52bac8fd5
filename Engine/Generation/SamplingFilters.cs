using TorchSharp;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// The logits processors of Hugging Face transformers (<c>RepetitionPenaltyLogitsProcessor</c>,
/// <c>TopKLogitsWarper</c>, <c>TopPLogitsWarper</c>, <c>MinPLogitsWarper</c>) on one 1-D float32 <c>[vocab]</c>
/// row. Each runs on the row's device and marks removed tokens with -inf, as HF does, so that only the survivors
/// need to leave the device. Results belong to the caller's dispose scope.
/// </summary>
internal static class SamplingFilters
{
    // Scalars are not tracked by dispose scopes: constants are shared, per-call values get a `using`, so that a
    // token's worth of native scalars does not wait for the finalizer.
    private static readonly Scalar Zero = 0.ToScalar();
    private static readonly Scalar False = false.ToScalar();

    /// <summary>
    /// Every distinct earlier token: negative logits are multiplied by the penalty, others divided, so a penalty
    /// above 1 always makes the token less likely.
    /// </summary>
    public static Tensor RepetitionPenalty(Tensor scores, IReadOnlyList<int> previousTokens, double penalty)
    {
        if (penalty == 1 || previousTokens.Count == 0)
        {
            return scores;
        }

        var vocab = scores.shape[0];
        var distinct = previousTokens.Distinct().Select(t => (long)t).ToArray();
        var outside = Array.FindIndex(distinct, t => t < 0 || t >= vocab);
        if (outside >= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(previousTokens), distinct[outside], $"Token id is outside the logits' vocabulary of {vocab}.");
        }

        var ids = tensor(distinct, device: scores.device);
        using var factor = penalty.ToScalar();
        var picked = scores.index_select(0, ids);
        var penalized = where(picked.lt(Zero), picked.mul(factor), picked.div(factor));
        return scores.scatter(0, ids, penalized);
    }

    /// <summary>
    /// Removes tokens below the k-th largest logit. Like HF, tokens tied with the k-th are kept, so more than k may
    /// survive.
    /// </summary>
    public static Tensor TopK(Tensor scores, int topK)
    {
        if (topK <= 0)
        {
            return scores;
        }

        var k = (int)Math.Min(topK, scores.shape[0]);
        var (values, _) = scores.topk(k);
        return scores.masked_fill(scores.lt(values[k - 1]), Scalars.NegativeInfinity);
    }

    /// <summary>
    /// Nucleus filter, exactly HF's: sort ascending, remove tokens whose cumulative probability is at most
    /// 1 - top_p, and always keep the most likely token.
    /// </summary>
    public static Tensor TopP(Tensor scores, double topP)
    {
        if (topP >= 1)
        {
            return scores;
        }

        // A stable sort so that ties at the cut fall the same way on every run.
        var (sorted, order) = scores.sort(0, descending: false, stable: true);
        using var cut = (1 - topP).ToScalar();
        var sortedRemove = sorted.softmax(0).cumsum(0).le(cut);
        sortedRemove.narrow(0, scores.shape[0] - 1, 1).fill_(False);
        var remove = sortedRemove.scatter(0, order, sortedRemove);
        return scores.masked_fill(remove, Scalars.NegativeInfinity);
    }

    /// <summary>
    /// Removes tokens whose probability is below min_p times the top probability. HF also forces the top token to
    /// stay; with min_p &lt; 1 it can never fall below its own share, so that step is not needed here.
    /// </summary>
    public static Tensor MinP(Tensor scores, double minP)
    {
        if (minP <= 0)
        {
            return scores;
        }

        var probs = scores.softmax(0);
        using var fraction = minP.ToScalar();
        var threshold = probs.max().mul(fraction);
        return scores.masked_fill(probs.lt(threshold), Scalars.NegativeInfinity);
    }
}
