using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>Where a shard runs and in which precision. Softmax, norms and attention statistics stay float32.</summary>
public sealed record ShardOptions
{
    public string Device { get; init; } = "cpu";
    public ScalarType DType { get; init; } = ScalarType.Float32;

    public static ScalarType ParseDType(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => ScalarType.Float16,
        _ => throw new ArgumentException($"unsupported dtype '{name}' (supported: float32, bfloat16, float16)"),
    };
}
