using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Checkpoints;

/// <summary>
/// Random weights of a real model shape, for benchmarks and tests: linear weights N(0,1)/sqrt(fan_in), norms
/// 1 + 0.1·N(0,1), biases 0.1·N(0,1), as the fixtures were made. Each tensor is seeded from its name, so every shard
/// of a deployment sees the same model whatever slice it reads.
/// </summary>
public sealed class RandomWeights(long seed = 0, ScalarType dtype = ScalarType.Float32, string device = "cpu") : IWeightSource
{
    // Drawn on the device that will hold them: an 8B shape is 32 GB of float32 draws, minutes on a host, a second on a
    // GPU. A seed gives the same numbers on every device of one type (CPU and CUDA generators differ from each other).
    private readonly Device _device = new(device);

    public Tensor Read(string name, long[] expectedShape, Range? rows = null, Range? cols = null)
    {
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)seed ^ Fnv1a(name), _device);
        var full = randn(expectedShape, ScalarType.Float32, _device, generator: g);
        // Scalars held with using: an implicit one can be finalized while libtorch still reads it (see Model/Scalars).
        using var tenth = 0.1.ToScalar();
        using var one = 1.0.ToScalar();
        using var fanIn = Math.Sqrt(expectedShape[^1]).ToScalar();
        if (name.EndsWith("norm.weight")) full = full.mul_(tenth).add_(one);
        else if (name.EndsWith(".bias")) full = full.mul_(tenth);
        else full = full.div_(fanIn);
        if (rows is { } r)
        {
            var (o, n) = r.GetOffsetAndLength((int)expectedShape[0]);
            full = full.narrow(0, o, n);
        }
        if (cols is { } c)
        {
            var (o, n) = c.GetOffsetAndLength((int)expectedShape[1]);
            full = full.narrow(1, o, n);
        }
        return full.to(dtype).contiguous().MoveToOuterDisposeScope();
    }

    public void Dispose() { }

    // A stable hash (string.GetHashCode is randomised per process, and every shard process must agree).
    private static ulong Fnv1a(string text)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in text) h = (h ^ ch) * 1099511628211UL;
        return h;
    }
}
