using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>Where a shard runs and in which precision. Softmax, norms and attention statistics stay float32.</summary>
public sealed record ShardOptions
{
    public string Device { get; init; } = "cpu";
    public ScalarType DType { get; init; } = ScalarType.Float32;
}
