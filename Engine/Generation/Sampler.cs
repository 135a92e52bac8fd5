using static TorchSharp.torch;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// The draws of one sequence: its options and its own seeded generator, which makes one uniform value per sampled token
/// (none for greedy). <see cref="Next"/> picks a token from one logits row with <see cref="TokenSampler"/>, the same
/// code a batch of sequences is sampled with on the shards. Not thread-safe: it holds the random state of its sequence.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly SamplingRandom _random;

    /// <summary>
    /// Validates the options and seeds the generator (from the OS when no seed is given), then skips the draws of
    /// <paramref name="skip"/> tokens already sampled (a resumed sequence continues its draws).
    /// </summary>
    public Sampler(SamplingOptions options, int skip = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Seed = options.Seed ?? SamplingRandom.NewSeed();
        _random = new SamplingRandom(Seed);
        for (var i = 0; i < skip && !options.IsGreedy; i++) _random.NextDouble();
    }

    /// <summary>The seed in use, so an unseeded request can still be logged and replayed.</summary>
    public ulong Seed { get; }

    /// <summary>How to draw the sequence's next token: its options and the next uniform value (0 when greedy).</summary>
    public SampleRow NextRow(IReadOnlyList<int>? history = null) =>
        new(_options, _options.IsGreedy ? 0 : _random.NextDouble(), history);

    /// <summary>
    /// The next token id. <paramref name="logits"/> is the 1-D <c>[vocab]</c> row of the last position, floating
    /// point of any width, on any device; it is not modified. <paramref name="previousTokens"/> is the whole
    /// sequence so far, prompt included, for the repetition penalty.
    /// </summary>
    public int Next(Tensor logits, IReadOnlyList<int> previousTokens)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(previousTokens);
        if (logits.dim() != 1 || logits.shape[0] == 0)
            throw new ArgumentException($"Logits must be a non-empty 1-D [vocab] row, got [{string.Join(", ", logits.shape)}].", nameof(logits));
        using var row = logits.unsqueeze(0);
        return TokenSampler.Sample(row, [NextRow(previousTokens)])[0];
    }
}
