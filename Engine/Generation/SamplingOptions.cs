namespace OrleansLlm.Engine.Generation;

/// <summary>
/// How to pick each next token. Defaults turn every filter off and decode greedily; the names and meanings follow
/// Hugging Face transformers' <c>GenerationConfig</c> so a model's <c>generation_config.json</c> maps one to one.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding with no repetition penalty.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>Divides the logits before sampling; 0 means greedy (argmax).</summary>
    public double Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens; 0 turns the filter off.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches this mass; 1 turns it off.</summary>
    public double TopP { get; init; } = 1;

    /// <summary>Drop tokens less likely than this fraction of the most likely one; 0 turns it off.</summary>
    public double MinP { get; init; }

    /// <summary>Makes every token already in the sequence (prompt included) less likely; 1 turns it off.</summary>
    public double RepetitionPenalty { get; init; } = 1;

    /// <summary>Seed of the sampler's random draws; null draws a fresh seed per sampler.</summary>
    public ulong? Seed { get; init; }

    /// <summary>True when the next token is the argmax and no random draw is made.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first out-of-range value.</summary>
    public void Validate()
    {
        // Comparisons are written so that NaN fails them.
        if (!(Temperature >= 0))
        {
            Fail(nameof(Temperature), $"must be >= 0 (0 = greedy), got {Temperature}");
        }

        if (TopK < 0)
        {
            Fail(nameof(TopK), $"must be >= 0 (0 = off), got {TopK}");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            Fail(nameof(TopP), $"must be in (0, 1] (1 = off), got {TopP}");
        }

        if (!(MinP >= 0 && MinP < 1))
        {
            Fail(nameof(MinP), $"must be in [0, 1) (0 = off), got {MinP}");
        }

        if (!(RepetitionPenalty > 0))
        {
            Fail(nameof(RepetitionPenalty), $"must be > 0 (1 = off), got {RepetitionPenalty}");
        }
    }

    private static void Fail(string name, string problem) =>
        throw new ArgumentException($"{name} {problem}.", name);
}
