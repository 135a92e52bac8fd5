using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// Picks the next token of every row of a batch on the logits' device, with the semantics of Hugging Face's logits
/// processors in their order: repetition penalty, then argmax (greedy) or temperature, top-k, top-p, min-p and a draw.
/// The draw inverts the distribution at the row's uniform value in ascending token order, in float64; only the chosen
/// ids leave the device.
/// </summary>
public static class TokenSampler
{
    /// <summary>Token ids for logits [S, V] (floating point, any device; not modified), one row each.</summary>
    public static int[] Sample(Tensor logits, IReadOnlyList<SampleRow> rows)
    {
        if (logits.dim() != 2 || logits.shape[0] != rows.Count || logits.shape[1] == 0)
            throw new ArgumentException($"logits [{string.Join(", ", logits.shape)}] do not match {rows.Count} rows");
        if (!logits.is_floating_point()) throw new ArgumentException($"logits must be floating point, got {logits.dtype}");
        using var scope = NewDisposeScope();
        var scores = logits.to(ScalarType.Float32);
        var penalized = Enumerable.Range(0, rows.Count)
            .Where(i => rows[i].History is { Count: > 0 } && rows[i].Options.RepetitionPenalty != 1).ToArray();
        if (penalized.Length > 0) scores = scores.clone();
        foreach (var i in penalized)
            scores[i].copy_(SamplingFilters.RepetitionPenalty(scores[i], rows[i].History!, rows[i].Options.RepetitionPenalty));
        var picks = scores.argmax(1);                                  // greedy rows: one kernel for all
        var sampled = Enumerable.Range(0, rows.Count).Where(i => !rows[i].Options.IsGreedy).ToArray();
        if (sampled.Length > 0)
        {
            var draws = stack(sampled.Select(i => Draw(Filtered(scores[i], rows[i].Options), rows[i].Draw)).ToArray());
            picks = picks.index_put_(draws, tensor(sampled.Select(i => (long)i).ToArray(), device: picks.device));
        }
        var ids = picks.cpu().data<long>().ToArray();
        if (Array.IndexOf(ids, -1L) is var bad and >= 0)
            throw new InvalidOperationException($"No token left to sample in row {bad}: every logit is -inf or NaN after filtering, or one is +inf.");
        return ids.Select(id => (int)id).ToArray();
    }

    private static Tensor Filtered(Tensor row, SamplingOptions o)
    {
        using var temperature = o.Temperature.ToScalar();
        var scores = row.div(temperature);
        scores = SamplingFilters.TopK(scores, o.TopK);
        scores = SamplingFilters.TopP(scores, o.TopP);
        return SamplingFilters.MinP(scores, o.MinP);
    }

    /// <summary>
    /// The first token whose cumulative weight exceeds u · total, weights exp(score − max) in float64 in ascending id
    /// order; a token removed by the filters (−inf) has weight 0 and is never chosen.
    /// </summary>
    private static Tensor Draw(Tensor scores, double u)
    {
        var s = scores.to(ScalarType.Float64);
        var weights = s.sub(s.max()).exp();
        var cumulative = weights.cumsum(0);
        var total = cumulative[-1];
        using var draw = u.ToScalar();
        var index = cumulative.le(total.mul(draw)).sum();
        // Rounding can leave the running sum a hair below u · total: the last token with weight then.
        var last = where(weights.gt(Model.Scalars.Zero), arange(weights.shape[0], device: weights.device), 0L).max();
        var pick = minimum(index, last);
        // A row with nothing left (all −inf, NaN) or +inf would pick nonsense: checked where the ids are read back.
        return where(total.isfinite().logical_and(total.gt(Model.Scalars.Zero)), pick, full([], -1L, ScalarType.Int64, pick.device));
    }
}
