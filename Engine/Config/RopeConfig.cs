namespace OrleansLlm.Engine.Config;

/// <summary>Rotary position embedding settings, as Hugging Face spells them.</summary>
public sealed record RopeConfig
{
    public required double Theta { get; init; }
    public string Type { get; init; } = "default";
    public double Factor { get; init; } = 1.0;
    public double LowFreqFactor { get; init; } = 1.0;
    public double HighFreqFactor { get; init; } = 4.0;
    public int OriginalMaxPositions { get; init; } = 8192;

    public static readonly IReadOnlySet<string> SupportedTypes = new HashSet<string> { "default", "linear", "llama3" };
}
