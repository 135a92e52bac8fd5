namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// A shard's int8 weights. By default LLM.int8(): vector-wise weights, activations quantized per token at run time,
/// and feature columns with any |x| ≥ <see cref="Threshold"/> multiplied in float instead (an infinite threshold
/// decomposes nothing). With <see cref="Static"/>, llm.npu's way: one activation scale per linear, calibrated once.
/// </summary>
public sealed record Int8Options
{
    public const double DefaultThreshold = 6.0;

    public double Threshold { get; init; } = DefaultThreshold;

    public StaticInt8? Static { get; init; }

    public void Validate()
    {
        if (double.IsNaN(Threshold) || Threshold <= 0)
            throw new ArgumentException($"the int8 outlier threshold must be above 0 (or inf for no decomposition), got {Threshold}");
        Static?.Validate();
    }
}

/// <summary>
/// llm.npu's static int8: each linear's activations at one per-tensor scale, set from a calibration pass of the float
/// model over <see cref="CalibrationIds"/> so that the largest value outside the outlier channels (those reaching the
/// int8 threshold) fits. Values beyond the range are clipped for the int8 matmul; with <see cref="Shadows"/>, a linear
/// whose clipping cost more than <see cref="Tolerance"/> of its output on calibration gets a shadow: the clipped
/// remainder of its outlier channels, multiplied apart (on the shadow device) and added back.
/// </summary>
public sealed record StaticInt8
{
    public required IReadOnlyList<int> CalibrationIds { get; init; }
    public bool Shadows { get; init; } = true;
    public double Tolerance { get; init; } = 0.01;

    public void Validate()
    {
        if (CalibrationIds.Count < 2) throw new ArgumentException("static int8 scales need a calibration text of at least 2 tokens");
        if (!(Tolerance >= 0)) throw new ArgumentException($"the shadow tolerance must be 0 or more, got {Tolerance}");
    }
}
