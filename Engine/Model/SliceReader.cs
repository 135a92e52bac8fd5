using OrleansLlm.Engine.Checkpoints;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>Reads weight slices from a source and moves them to the shard's dtype and device.</summary>
internal sealed class SliceReader(IWeightSource source, ScalarType dtype, Device device)
{
    public Tensor Read(string name, long[] shape, Range? rows = null, Range? cols = null)
    {
        using var cpu = source.Read(name, shape, rows, cols);
        RequireFloat(name, cpu);
        return cpu.to(dtype, device);
    }

    /// <summary>Row ranges of several tensors stacked into one (fused projections).</summary>
    public Tensor Cat(params (string Name, long[] Shape, Range Rows)[] parts)
    {
        using var scope = NewDisposeScope();
        var pieces = parts.Select(p => RequireFloat(p.Name, source.Read(p.Name, p.Shape, p.Rows))).ToArray();
        return cat(pieces, 0).to(dtype, device).MoveToOuterDisposeScope();
    }

    private static Tensor RequireFloat(string name, Tensor t) =>
        t.is_floating_point() ? t : throw new CheckpointException($"tensor '{name}' has dtype {t.dtype}, expected a float type");
}
