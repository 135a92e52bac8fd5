namespace OrleansLlm.Grains.Interfaces;

/// <summary>How a deployment stores its layers' linear weights.</summary>
[GenerateSerializer, Alias("olm.Quantization")]
public enum Quantization
{
    /// <summary>In the deployment's dtype.</summary>
    [Names("none")] None,
    /// <summary>LLM.int8(): int8 rows with a scale each, int8 activations per token, outlier feature columns in float.</summary>
    [Names("int8", "llm.int8")] Int8,
    /// <summary>llm.npu: int8 rows, one activation scale per linear calibrated once, values beyond the range clipped.</summary>
    [Names("int8-static")] Int8Static,
}
