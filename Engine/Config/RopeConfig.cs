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

    /// <summary>LongRoPE (Phi-3's 128K variants): per-frequency divisors up to <see cref="OriginalMaxPositions"/> and beyond.</summary>
    public IReadOnlyList<double> ShortFactor { get; init; } = [];
    public IReadOnlyList<double> LongFactor { get; init; } = [];
    /// <summary>LongRoPE's multiplier of cos and sin; null: sqrt(1 + ln(factor) / ln(original)) for a factor over 1.</summary>
    public double? AttentionFactor { get; init; }

    public bool IsLongRope => Type == "longrope";

    /// <summary>The types read; "su" is LongRoPE's first name (Phi-3's early configs).</summary>
    public static readonly IReadOnlySet<string> SupportedTypes = new HashSet<string> { "default", "linear", "llama3", "longrope", "su" };
}
