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
    // Drawn on the device that will hold them (an 8B shape is 32 GB of float32 draws: minutes on a host, a second on a
    // GPU) by hashing each element's index, so every device, CPU or GPU, draws the same numbers for a seed and a name.
    // TorchSharp offers no CUDA generator, and a CPU generator's stream differs from CUDA's anyway.
    private readonly Device _device = new(device);

    public Tensor Read(string name, long[] expectedShape, Range? rows = null, Range? cols = null)
    {
        // Only the rows asked for are drawn (each element's value depends on its index, not on what else is drawn).
        var (first, count) = rows?.GetOffsetAndLength((int)expectedShape[0]) ?? (0, expectedShape.Length == 0 ? 1 : (int)expectedShape[0]);
        var shape = (long[])expectedShape.Clone();
        if (shape.Length > 0) shape[0] = count;
        var rowElements = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var (colStart, colCount) = cols is { } c ? c.GetOffsetAndLength((int)expectedShape[1]) : (0, shape.Length > 1 ? (int)shape[1] : 0);
        var outShape = (long[])shape.Clone();
        if (cols is not null) outShape[1] = colCount;
        // Drawn a block of rows at a time: the draw's int64 and float32 temporaries of a whole embedding would be several
        // times the weight itself, and a process's peak memory is what its largest load held at once.
        var blockRows = shape.Length == 0 ? 1 : Math.Max(1, (int)Math.Min(count, (16L << 20) / Math.Max(1, rowElements)));
        var result = empty(outShape, dtype, _device);
        try
        {
            for (var r = 0; r < count; r += blockRows)
            {
                using var scope = NewDisposeScope();
                var n = Math.Min(blockRows, count - r);
                var blockShape = (long[])shape.Clone();
                if (shape.Length > 0) blockShape[0] = n;
                var block = Scaled(name, expectedShape, Uniform(blockShape, (first + r) * rowElements, (long)((ulong)seed ^ Fnv1a(name))));
                if (cols is not null) block = block.narrow(1, colStart, colCount);
                if (shape.Length == 0) result.copy_(block);
                else result.narrow(0, r, n).copy_(block);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static Tensor Scaled(string name, long[] expectedShape, Tensor full)
    {
        // Scalars held with using: an implicit one can be finalized while libtorch still reads it (see Model/Scalars).
        using var tenth = 0.1.ToScalar();
        using var one = 1.0.ToScalar();
        using var fanIn = Math.Sqrt(expectedShape[^1]).ToScalar();
        if (name.EndsWith("norm.weight")) return full.mul_(tenth).add_(one);
        if (name.EndsWith(".bias")) return full.mul_(tenth);
        return full.div_(fanIn);
    }

    /// <summary>
    /// Zero-mean, unit-variance uniform values: splitmix64 of (index + key), its low 24 bits scaled, for the elements
    /// from index <paramref name="first"/> on.
    /// </summary>
    private Tensor Uniform(long[] shape, long first, long key)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        using var k = key.ToScalar();
        using var m1 = unchecked((long)0x9E3779B97F4A7C15UL).ToScalar();
        using var m2 = unchecked((long)0xBF58476D1CE4E5B9UL).ToScalar();
        using var m3 = unchecked((long)0x94D049BB133111EBUL).ToScalar();
        // TorchSharp's bitwise ops take tensors, not scalars: 0-dim ones, freed by the caller's scope.
        var low24 = tensor(0xFFFFFFL, device: _device);
        var (s30, s27, s31) = (tensor(30L, device: _device), tensor(27L, device: _device), tensor(31L, device: _device));
        using var unit = (Math.Sqrt(12) / (1 << 24)).ToScalar();
        using var half = (Math.Sqrt(12) / 2).ToScalar();
        using var start = first.ToScalar();
        using var stop = (first + count).ToScalar();
        using var step = 1L.ToScalar();
        var h = arange(start, stop, step, ScalarType.Int64, _device).add_(k).mul_(m1);
        h = h.bitwise_xor_(h.bitwise_right_shift(s30)).mul_(m2);
        h = h.bitwise_xor_(h.bitwise_right_shift(s27)).mul_(m3);
        h = h.bitwise_xor_(h.bitwise_right_shift(s31)).bitwise_and_(low24);
        return h.to(ScalarType.Float32).mul_(unit).sub_(half).view(shape);
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
