using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>One batch's all-reduces from this rank, counting the messages, bytes and time spent waiting.</summary>
internal sealed class GrainAllReduce(IGrainFactory grains, AllReduceBuffer buffer, long batch, ShardTopology topology)
    : Engine.Parallel.IAllReduce
{
    private int _op;
    public double WaitMs { get; private set; }
    public int Messages { get; private set; }
    public long Bytes { get; private set; }

    public async Task<Tensor> SumAsync(Tensor partial)
    {
        var op = _op++;
        TensorBytes bytes;
        using (partial) bytes = TensorWire.ToBytes(partial);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var total = await Exchange(op, bytes);
        WaitMs += clock.Elapsed.TotalMilliseconds;
        // Not moved here: the rank's next device job takes it to its own device (no extra hop).
        return TensorWire.Open(total);
    }

    private async Task<TensorBytes> Exchange(int op, TensorBytes partial)
    {
        var ranks = topology.StageShards.Length;
        if (topology.AllReduce == AllReduceAlgorithm.Star && topology.Rank != 0)
        {
            (Messages, Bytes) = (Messages + 1, Bytes + partial.ByteCount);
            var master = grains.GetGrain<IShardGrain>(topology.StageShards[0]);
            return (await master.ContributeAsync(batch, op, topology.Rank, partial))!;
        }
        var total = buffer.Add(batch, op, topology.Rank, ranks, partial);
        if (topology.AllReduce == AllReduceAlgorithm.Star)
        {
            (Messages, Bytes) = (Messages + ranks - 1, Bytes + (ranks - 1) * partial.ByteCount); // the answers
            return await total;
        }
        var sends = Enumerable.Range(0, ranks).Where(r => r != topology.Rank)
            .Select(r => grains.GetGrain<IShardGrain>(topology.StageShards[r]).ContributeAsync(batch, op, topology.Rank, partial))
            .ToList();
        (Messages, Bytes) = (Messages + sends.Count, Bytes + sends.Count * partial.ByteCount);
        await Task.WhenAll(sends);
        return await total;
    }
}
