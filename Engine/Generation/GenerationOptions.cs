namespace OrleansLlm.Engine.Generation;

/// <summary>What to generate: how many tokens, how to sample them and when to stop.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 128;
    public SamplingOptions Sampling { get; init; } = new();
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>End-of-sequence ids; null takes the model's (config.json and generation_config.json).</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }

    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentException($"max new tokens must be 0 or more, got {MaxNewTokens}", nameof(MaxNewTokens));
        Sampling.Validate();
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty", nameof(StopStrings));
    }
}
