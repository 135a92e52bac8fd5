using OrleansLlm.Engine.Quantization;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>Where a shard runs and in which precision. Softmax, norms and attention statistics stay float32.</summary>
public sealed record ShardOptions
{
    public string Device { get; init; } = "cpu";
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Int8 weights for the layers' linears (LLM.int8()); null keeps them in <see cref="DType"/>.</summary>
    public Int8Options? Int8 { get; init; }

    /// <summary>Half-layer blocks held at once, streamed in by a weight window (TPI-LLM); 0 holds every layer.</summary>
    public int Window { get; init; }

    /// <summary>Contextual sparsity at decode (Deja Vu); null computes every head and neuron (the dense path, unchanged).</summary>
    public Sparsity.SparsityOptions? Sparsity { get; init; }

    /// <summary>Layers held as blocks (int8 or a window) rather than the resident float layers.</summary>
    public bool UsesBlocks => Int8 is not null || Window > 0;

    public void Validate()
    {
        if (Window is < 0 or 1)
            throw new ArgumentException($"a weight window holds at least 2 half-layer blocks (one computing while the next loads), got {Window}");
        Int8?.Validate();
        Sparsity?.Validate();
        if (Sparsity is not null && UsesBlocks)
            throw new ArgumentException("--sparsity runs on resident float layers: not with --quantize or --memory-window");
    }
}
