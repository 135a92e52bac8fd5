using TorchSharp;
using OrleansLlm.Engine.Checkpoints;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>Reads weight slices from a source and moves them to the shard's dtype and device.</summary>
internal sealed class SliceReader(IWeightSource source, ScalarType dtype, Device device, long blockElements = SliceReader.BlockElements)
{
    public Tensor Read(string name, long[] shape, Range? rows = null, Range? cols = null, double shift = 0, double scale = 1)
    {
        if (shift == 0 && scale == 1 && shape.Length == 2 && ByRows(name, shape, rows, cols) is { } read) return read;
        using var cpu = source.Read(name, shape, rows, cols);
        RequireFloat(name, cpu);
        if (shift == 0 && scale == 1) return cpu.to(dtype, device);
        using var f = cpu.to(ScalarType.Float32);
        using var by = shift.ToScalar();
        using var times = scale.ToScalar();
        using var shifted = shift == 0 ? f.alias() : f.add(by);
        using var scaled = scale == 1 ? shifted.alias() : shifted.mul(times);
        return scaled.to(dtype, device);
    }

    /// <summary>Elements of source data read and converted at a time (64 MiB of float32).</summary>
    public const long BlockElements = 16L << 20;

    /// <summary>
    /// A large 2-D slice a block of rows at a time into its place in the result (null for one that fits one block):
    /// read whole and then converted (a bf16 checkpoint served in float32, say), an embedding would be held in both
    /// dtypes at once, and the process's peak memory would be the weights plus that.
    /// </summary>
    private Tensor? ByRows(string name, long[] shape, Range? rows, Range? cols)
    {
        var (r0, rn) = rows?.GetOffsetAndLength((int)shape[0]) ?? (0, (int)shape[0]);
        var (_, cn) = cols?.GetOffsetAndLength((int)shape[1]) ?? (0, (int)shape[1]);
        var block = (int)Math.Max(1, blockElements / Math.Max(1, cn));
        if (block >= rn) return null;
        var result = empty([rn, cn], dtype, device);
        try
        {
            for (var r = 0; r < rn; r += block)
            {
                var n = Math.Min(block, rn - r);
                using var slot = result.narrow(0, r, n);
                using var part = RequireFloat(name, source.Read(name, shape, new Range(r0 + r, r0 + r + n), cols));
                slot.copy_(part);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private Tensor Read(Layers.Piece p) => Read(p.Name, p.Shape, p.Rows, p.Cols, p.Shift, p.Scale);

    /// <summary>A tensor read whole, or stacked from the rows of several (a fused projection).</summary>
    public Tensor Read(Layers.Piece[] pieces) => pieces is [var one] ? Read(one) : Cat(pieces);

    /// <summary>
    /// Row ranges of several tensors stacked into one (fused projections). Each piece is copied into place and freed
    /// before the next is read, so loading takes the result and one piece, not every piece and the result.
    /// </summary>
    private Tensor Cat(Layers.Piece[] parts)
    {
        var first = parts[0];
        long[] width = first.Cols is { } cols ? [cols.GetOffsetAndLength((int)first.Shape[1]).Length] : [.. first.Shape.Skip(1)];
        var result = empty([parts.Sum(Rows), .. width], dtype, device);
        try
        {
            Fill(parts, result);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Each piece into its rows of <paramref name="into"/>, straight from the source where it can.</summary>
    public void Fill(Layers.Piece[] pieces, Tensor into)
    {
        long at = 0;
        foreach (var p in pieces)
        {
            var rows = pieces.Length == 1 ? into.shape[0] : Rows(p);
            using var slot = pieces.Length == 1 ? into.alias() : into.narrow(0, at, rows);
            if (p.Transforms)
            {
                using var t = Read(p);
                slot.copy_(t);
            }
            else
            {
                source.ReadInto(p.Name, p.Shape, slot, p.Rows, p.Cols);
            }
            at += rows;
        }
    }

    private static long Rows(Layers.Piece p) => p.Rows?.GetOffsetAndLength((int)p.Shape[0]).Length ?? p.Shape[0];

    private static Tensor RequireFloat(string name, Tensor t) =>
        t.is_floating_point() ? t : throw new CheckpointException($"tensor '{name}' has dtype {t.dtype}, expected a float type");
}
