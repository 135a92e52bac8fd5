using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// The engine's KV exchange over grain calls: a block is sent to the receiver's mailbox and reassembled there on its
/// device thread. To a shard in this silo it goes whole (the tensors are handed over); to another silo it is cut by
/// tokens into pieces under the message cap. Positions travel as a run too, so the receiver never reads them back.
/// </summary>
internal sealed class GrainKvExchange(IGrainFactory grains, Guid request, string[] shards, string localSilo,
    DeviceExecutor executor, KvMailbox mailbox, Device device) : IKvExchange
{
    public int Messages;
    public long Bytes;

    public async Task SendAsync(int toShard, int layer, int step, KvBlock block)
    {
        var local = ShardKey.Parse(shards[toShard]).Silo == localSilo;
        var pieces = await executor.RunAsync(() => Cut(block, local));
        var target = grains.GetGrain<IShardGrain>(shards[toShard]);
        foreach (var piece in pieces)
        {
            Interlocked.Increment(ref Messages);
            Interlocked.Add(ref Bytes, piece.Keys.ByteCount + piece.Values.ByteCount + piece.Positions.ByteCount);
        }
        await Task.WhenAll(pieces.Select(p => target.ReceiveKvAsync(request, layer, step, p)));
    }

    public async Task<KvBlock> ReceiveAsync(int layer, int step)
    {
        var pieces = await mailbox.Take(request, layer, step);
        return await executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            var keys = cat(pieces.Select(p => TensorWire.FromBytes(p.Keys, device)).ToArray(), 1);
            var values = cat(pieces.Select(p => TensorWire.FromBytes(p.Values, device)).ToArray(), 1);
            var positions = cat(pieces.Select(p => TensorWire.FromBytes(p.Positions, device)).ToArray(), 0);
            var run = pieces.Select(p => new PositionRun(p.First, p.Stride, p.Positions.Shape[0]))
                .Aggregate(PositionRun.Empty, (a, b) => a.Then(b));
            return new KvBlock(keys.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope(), positions.MoveToOuterDisposeScope(), run);
        });
    }

    private static KvPiece[] Cut(KvBlock block, bool whole)
    {
        var tokens = block.Length;
        var bytesPerToken = 2 * block.Keys.shape[0] * block.Keys.shape[2] * block.Keys.ElementSize + 8;
        var perPiece = whole ? Math.Max(1, tokens) : Math.Max(1, (TensorBytes.MaxMessageBytes - 4096) / bytesPerToken);
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
}

/// <summary>The engine's compute runner on a device executor.</summary>
internal sealed class ExecutorRunner(DeviceExecutor executor) : IComputeRunner
{
    public Task<T> Run<T>(Func<T> work) => executor.RunAsync(work);
}
