using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Weights;

/// <summary>
/// A model's weights read from the silo that has its folder, for a shard on a silo that does not: each tensor (or
/// slice of one) comes over in pieces of whole rows under <see cref="PieceBytes"/>, one grain call each. Reads block
/// their thread (a shard's device thread or its weight window's loader, never a grain turn) until the piece arrives.
/// </summary>
public sealed class PeerWeightSource(IGrainFactory grains, string peer, string model, long pieceBytes = PeerWeightSource.PieceBytes) : IWeightSource
{
    /// <summary>Half the message cap: room for the message's own fields, and big pieces do not hold small messages up long.</summary>
    public const long PieceBytes = TensorBytes.MaxMessageBytes / 2;

    private readonly IModelFilesGrain _files = grains.GetGrain<IModelFilesGrain>(peer);

    public Tensor Read(string name, long[] expectedShape, Range? rows = null, Range? cols = null)
    {
        var height = expectedShape.Length == 0 ? 1 : expectedShape[0];
        var (r0, rn) = Slice(rows, height, name);
        var width = expectedShape.Length < 2 ? 1 : cols is { } c ? Slice(c, expectedShape[1], name).Count : expectedShape[1];
        var (c0, cn) = cols is { } cc ? Slice(cc, expectedShape[1], name) : (0L, -1L);
        var rowBytes = Math.Max(1, width * expectedShape.Skip(2).Aggregate(1L, (a, b) => a * b) * 4);
        var step = Math.Max(1, pieceBytes / rowBytes);
        var pieces = new List<Tensor>();
        try
        {
            for (long r = 0; r < rn; r += step)
            {
                var bytes = _files.ReadAsync(model, name, expectedShape, r0 + r, Math.Min(step, rn - r), c0, cn).GetAwaiter().GetResult();
                pieces.Add(TensorWire.FromBytes(bytes));
            }
            if (pieces.Count == 1) { var only = pieces[0]; pieces.Clear(); return only; }
            return cat(pieces, 0);
        }
        catch (OlmException e)
        {
            throw new CheckpointException($"reading '{name}' from {peer}: {e.Message}");
        }
        finally
        {
            foreach (var p in pieces) p.Dispose();
        }
    }

    private static (long Start, long Count) Slice(Range? range, long size, string name)
    {
        if (range is not { } r) return (0, size);
        try { var (o, n) = r.GetOffsetAndLength((int)size); return (o, n); }
        catch (ArgumentOutOfRangeException) { throw new CheckpointException($"range {r} is outside tensor '{name}'"); }
    }

    public void Dispose() { }
}
