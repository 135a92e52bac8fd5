using System.Globalization;

namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// How a deployment holds its weights: int8 linears (LLM.int8(), or with <see cref="ShadowOutliers"/> llm.npu's static
/// activation scales with outliers computed beside), and a sliding window of half-layer blocks (TPI-LLM). In a
/// shard's load spec the window is the one the planner chose for that shard (0: every layer resident).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.WeightSettings")]
public sealed record WeightSettings
{
    public const double DefaultThreshold = 6.0;

    [Id(0)] public Quantization Quantize { get; init; } = Quantization.None;
    /// <summary>LLM.int8()'s outlier threshold: feature columns with any |x| at or above it stay in float (inf: none do).</summary>
    [Id(1)] public double Int8Threshold { get; init; } = DefaultThreshold;
    /// <summary>llm.npu: a static activation scale per linear (calibrated once); clipped values' remainder computed apart.</summary>
    [Id(2)] public bool ShadowOutliers { get; init; }
    /// <summary>Half-layer blocks a shard holds at once (at least 2); 0 lets the planner window only slices that do not fit.</summary>
    [Id(3)] public int MemoryWindow { get; init; }
    /// <summary>Text the shadow scales are calibrated on (null: a built-in text).</summary>
    [Id(4)] public string? CalibrationText { get; init; }

    public bool IsDefault => this == new WeightSettings();

    /// <summary>Refuses settings that make no sense, in one line each.</summary>
    public void Validate()
    {
        if (MemoryWindow is 1 or < 0)
            throw new OlmException($"--memory-window must be at least 2 half-layer blocks (one computing while the next loads), got {MemoryWindow}", OlmErrorKind.BadRequest);
        if (double.IsNaN(Int8Threshold) || Int8Threshold <= 0)
            throw new OlmException($"--int8-threshold must be above 0 (inf for no outlier decomposition), got {Threshold()}", OlmErrorKind.BadRequest);
        if (ShadowOutliers && Quantize == Quantization.None)
            throw new OlmException("--shadow-outliers is a way of running int8 weights: give --quantize int8 (or int8-static)", OlmErrorKind.BadRequest);
    }

    /// <summary>llm.npu's static scales (calibrated once), with or without shadows, rather than LLM.int8()'s per-token ones.</summary>
    public bool Static => Quantize == Quantization.Int8Static || ShadowOutliers;

    public string Threshold() => double.IsPositiveInfinity(Int8Threshold) ? "inf" : Int8Threshold.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>"int8 (threshold 6)", "int8 (shadow outliers)", with the window asked for; "" for the defaults.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Quantize != Quantization.None)
            parts.Add(ShadowOutliers ? $"int8 static (threshold {Threshold()}, shadow outliers)" : Static ? $"int8 static (threshold {Threshold()})" : $"int8 (threshold {Threshold()})");
        if (MemoryWindow > 0) parts.Add($"window {MemoryWindow}");
        if (CalibrationText is not null) parts.Add($"calibration text {Fnv(CalibrationText):x8}");
        return string.Join(", ", parts);
    }

    // Stable across processes (string.GetHashCode is not): the text names deployments through DeploySpec.DefaultId.
    private static uint Fnv(string text) => text.Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u);
}
