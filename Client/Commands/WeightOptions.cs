using System.CommandLine;
using System.Globalization;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>The deployment options for models larger than their devices: int8 weights, shadow outliers, weight windows.</summary>
internal sealed class WeightOptions
{
    public Option<string?> Quantize { get; } = new("--quantize") { Description = $"{EnumText<Quantization>.Choices}: int8 stores the layers' linears as LLM.int8() (half of bf16's memory), int8-static as llm.npu (static scales calibrated once, outliers clipped); default none" };
    public Option<string?> Threshold { get; } = new("--int8-threshold") { Description = "LLM.int8()'s outlier threshold: activation columns with any |x| at or above it run in float (default 6; inf: none)" };
    public Option<bool> Shadow { get; } = new("--shadow-outliers") { Description = "llm.npu: int8 with a static activation scale per linear calibrated once; clipped outliers of the linears where they matter computed apart on a host CPU thread and added back (implies int8-static)" };
    public Option<FileInfo?> Calibration { get; } = new("--calibration") { Description = "text file the shadow-outlier scales are calibrated on (default: a built-in text)" };
    public Option<int> Window { get; } = new("--memory-window") { Description = "half-layer blocks each shard holds at once, streaming the rest from the checkpoint (TPI-LLM; at least 2; default: only where a slice does not fit)" };

    public IEnumerable<Option> All => [Quantize, Threshold, Shadow, Calibration, Window];

    public WeightSettings Settings(ParseResult r)
    {
        var shadow = r.GetValue(Shadow);
        var quantize = r.GetValue(Quantize) is { } q ? EnumText<Quantization>.Parse(q, "quantization")
            : shadow ? Quantization.Int8Static : Quantization.None;
        var calibration = r.GetValue(Calibration) is { } file
            ? File.Exists(file.FullName) ? File.ReadAllText(file.FullName) : throw new ArgumentException($"--calibration: no file {file.FullName}")
            : null;
        var settings = new WeightSettings
        {
            Quantize = quantize, ShadowOutliers = shadow, CalibrationText = calibration, MemoryWindow = r.GetValue(Window),
            Int8Threshold = r.GetValue(Threshold) is { } t ? ParseThreshold(t) : WeightSettings.DefaultThreshold,
        };
        settings.Validate();
        return settings;
    }

    private static double ParseThreshold(string text) =>
        text.Trim().ToLowerInvariant() is "inf" or "none" ? double.PositiveInfinity
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
        : throw new ArgumentException($"--int8-threshold must be a number or inf, got '{text}'");
}
