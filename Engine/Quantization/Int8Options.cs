namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// A shard's int8 weights (LLM.int8(): vector-wise weights, activations quantized per token at run time, and feature
/// columns with any |x| ≥ <see cref="Threshold"/> multiplied in float instead). An infinite threshold decomposes nothing.
/// </summary>
public sealed record Int8Options
{
    public const double DefaultThreshold = 6.0;

    public double Threshold { get; init; } = DefaultThreshold;

    public void Validate()
    {
        if (double.IsNaN(Threshold) || Threshold <= 0)
            throw new ArgumentException($"the int8 outlier threshold must be above 0 (or inf for no decomposition), got {Threshold}");
    }
}
