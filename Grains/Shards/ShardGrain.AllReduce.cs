using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// The all-reduce of tensor-parallel partial sums as grain messages. Star (TPI-LLM): ranks send their partial to the
/// master, which answers each with the total. All-to-all: every rank sends its partial to every other and sums what
/// it receives. Both sum in rank order, so every rank continues from the same bits.
/// </summary>
public sealed partial class ShardGrain
{
    private AllReduceBuffer? _allReduceBuffer;

    private AllReduceBuffer AllReduces =>
        _allReduceBuffer ??= new AllReduceBuffer(partials => _executor!.RunAsync(() => Sum(partials, _model!.Device)));

    public async Task<TensorBytes?> ContributeAsync(long batch, int op, int rank, TensorBytes partial)
    {
        var (_, _, topology) = Loaded();
        var total = AllReduces.Add(batch, op, rank, topology.StageShards.Length, partial);
        return topology.AllReduce == AllReduceAlgorithm.Star ? await total : null;
    }

    public Task AbortBatchAsync(long batch, string reason)
    {
        AllReduces.Abort(batch, reason);
        return Task.CompletedTask;
    }

    /// <summary>The sum of the ranks' float32 partials in rank order, on the summing shard's device (kept float32: each
    /// rank rounds once, after adding it to its residual).</summary>
    private static TensorBytes Sum(TensorBytes[] partials, Device device)
    {
        using var scope = NewDisposeScope();
        var total = TensorWire.FromBytes(partials[0], device).to(ScalarType.Float32);
        foreach (var p in partials.Skip(1)) total = total.add(TensorWire.FromBytes(p, device).to(ScalarType.Float32));
        return TensorWire.ToBytes(total);
    }

    /// <summary>One batch's all-reduces from this rank, counting the messages, bytes and time spent waiting.</summary>
    private sealed class GrainAllReduce(ShardGrain shard, long batch, ShardTopology topology) : Engine.Parallel.IAllReduce
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
            var grains = shard.GrainFactory;
            if (topology.AllReduce == AllReduceAlgorithm.Star && topology.Rank != 0)
            {
                (Messages, Bytes) = (Messages + 1, Bytes + partial.ByteCount);
                var master = grains.GetGrain<IShardGrain>(topology.StageShards[0]);
                return (await master.ContributeAsync(batch, op, topology.Rank, partial))!;
            }
            var total = shard.AllReduces.Add(batch, op, topology.Rank, ranks, partial);
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
}
