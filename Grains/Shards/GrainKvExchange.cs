using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// The engine's KV exchange over grain calls: a block is sent to the receiver's mailbox and reassembled there on its
/// device thread. To a shard in this silo it goes whole (the tensors are handed over); to another silo it is cut by
/// tokens into pieces under the message cap (<see cref="KvPieces"/>).
/// </summary>
internal sealed class GrainKvExchange(IGrainFactory grains, Guid request, string[] shards, string localSilo,
    DeviceExecutor executor, KvMailbox mailbox, Device device, long pieceBytes) : IKvExchange
{
    public int Messages;
    public long Bytes;

    public async Task SendAsync(int toShard, int layer, int step, KvBlock block)
    {
        var local = ShardKey.Parse(shards[toShard]).Silo == localSilo;
        var pieces = await executor.RunAsync(() => KvPieces.Cut(block, local ? long.MaxValue : pieceBytes));
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
        return await executor.RunAsync(() => KvPieces.Join(pieces, device));
    }
}
