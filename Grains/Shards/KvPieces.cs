using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// A KV block cut by tokens into pieces that each fit one message, and put back together on the receiver's device.
/// Each piece carries its position run, so a regular block stays regular and the receiver never reads positions back.
/// </summary>
internal static class KvPieces
{
    /// <summary>The block in pieces of at most <paramref name="pieceBytes"/> (keys, values and positions together).</summary>
    public static KvPiece[] Cut(KvBlock block, long pieceBytes)
    {
        var tokens = block.Length;
        var bytesPerToken = 2 * block.Keys.shape[0] * block.Keys.shape[2] * block.Keys.ElementSize + 8;
        var perPiece = Math.Max(1, pieceBytes / bytesPerToken);
        var count = (int)Math.Max(1, (tokens + perPiece - 1) / perPiece);
        return Enumerable.Range(0, count).Select(i =>
        {
            var start = i * perPiece;
            var n = Math.Max(0, Math.Min(perPiece, tokens - start));
            using var k = block.Keys.narrow(1, start, n);
            using var v = block.Values.narrow(1, start, n);
            using var p = block.Positions.narrow(0, start, n);
            var run = block.Run;
            var first = run.Count == 0 ? long.MaxValue : run.IsRegular ? run.First + start * run.Stride : 0;
            // An irregular run stays irregular piece by piece (stride 0); the receiver then uses the masked kernel.
            return new KvPiece(i, count, TensorWire.ToBytes(k), TensorWire.ToBytes(v), TensorWire.ToBytes(p), first,
                n == 0 ? 1 : run.IsRegular ? run.Stride : 0);
        }).ToArray();
    }

    /// <summary>The block the pieces (in index order) were cut from, on <paramref name="device"/>.</summary>
    public static KvBlock Join(IReadOnlyList<KvPiece> pieces, Device device)
    {
        using var scope = NewDisposeScope();
        var keys = cat(pieces.Select(p => TensorWire.FromBytes(p.Keys, device)).ToArray(), 1);
        var values = cat(pieces.Select(p => TensorWire.FromBytes(p.Values, device)).ToArray(), 1);
        var positions = cat(pieces.Select(p => TensorWire.FromBytes(p.Positions, device)).ToArray(), 0);
        var run = pieces.Select(p => new PositionRun(p.First, p.Stride, p.Positions.Shape[0]))
            .Aggregate(PositionRun.Empty, (a, b) => a.Then(b));
        return new KvBlock(keys.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope(), positions.MoveToOuterDisposeScope(), run);
    }
}
