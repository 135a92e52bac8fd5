using TorchSharp;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// Picks each next token of one sequence from its last-position logits, with the semantics of Hugging Face
/// transformers' logits processors in their order: repetition penalty, then either argmax (greedy) or temperature,
/// top-k, top-p, min-p and a draw from the softmax. Filtering stays on the logits' device; only the surviving
/// candidates are copied to the host, where the draw is made in float64 from the sampler's own seeded generator.
/// Not thread-safe: it holds the random state of its sequence.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly SamplingRandom _random;

    /// <summary>Validates the options and seeds the generator (from the OS when no seed is given).</summary>
    public Sampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Seed = options.Seed ?? SamplingRandom.NewSeed();
        _random = new SamplingRandom(Seed);
    }

    /// <summary>The seed in use, so an unseeded request can still be logged and replayed.</summary>
    public ulong Seed { get; }

    /// <summary>
    /// The next token id. <paramref name="logits"/> is the 1-D <c>[vocab]</c> row of the last position, floating
    /// point of any width, on any device; it is not modified. <paramref name="previousTokens"/> is the whole
    /// sequence so far, prompt included, for the repetition penalty.
    /// </summary>
    public int Next(Tensor logits, IReadOnlyList<int> previousTokens)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(previousTokens);
        CheckShape(logits);

        using var scope = NewDisposeScope();
        var scores = logits.to(ScalarType.Float32);
        scores = SamplingFilters.RepetitionPenalty(scores, previousTokens, _options.RepetitionPenalty);
        if (_options.IsGreedy)
        {
            return (int)scores.argmax().item<long>();
        }

        using var temperature = _options.Temperature.ToScalar();
        scores = scores.div(temperature);
        scores = SamplingFilters.TopK(scores, _options.TopK);
        scores = SamplingFilters.TopP(scores, _options.TopP);
        scores = SamplingFilters.MinP(scores, _options.MinP);
        return Draw(scores);
    }

    private static void CheckShape(Tensor logits)
    {
        if (logits.dim() != 1 || logits.shape[0] == 0)
        {
            var shape = string.Join(", ", logits.shape);
            throw new ArgumentException($"Logits must be a non-empty 1-D [vocab] row, got [{shape}].", nameof(logits));
        }

        if (!logits.is_floating_point())
        {
            throw new ArgumentException($"Logits must be floating point, got {logits.dtype}.", nameof(logits));
        }
    }

    /// <summary>
    /// Softmax over the survivors in float64 on the host, then inverse CDF in ascending token id order. The host
    /// softmax makes the draw depend only on the survivors' float32 logits, not on the device's exp.
    /// </summary>
    private int Draw(Tensor scores)
    {
        var keptIds = scores.gt(Scalars.NegativeInfinity).nonzero().flatten();
        var ids = keptIds.cpu().data<long>().ToArray();
        if (ids.Length == 0)
        {
            throw new InvalidOperationException("No token left to sample: every logit is -inf or NaN after filtering.");
        }

        var kept = scores.index_select(0, keptIds).cpu().data<float>().ToArray();
        var weights = new double[kept.Length];
        double max = kept.Max();
        double total = 0;
        for (var i = 0; i < kept.Length; i++)
        {
            weights[i] = Math.Exp(kept[i] - max);
            total += weights[i];
        }

        if (!double.IsFinite(total))
        {
            throw new InvalidOperationException("Cannot sample: the logits contain +inf.");
        }

        return (int)ids[InverseCdf(weights, total, _random.NextDouble())];
    }

    /// <summary>The index whose cumulative weight first exceeds u * total; zero-weight entries are never chosen.</summary>
    private static int InverseCdf(double[] weights, double total, double u)
    {
        var target = u * total;
        double cumulative = 0;
        var lastPositive = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0)
            {
                continue;
            }

            cumulative += weights[i];
            lastPositive = i;
            if (target < cumulative)
            {
                return i;
            }
        }

        // Rounding can leave the running sum a hair below u * total.
        return lastPositive;
    }
}
