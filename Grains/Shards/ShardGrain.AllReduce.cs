namespace OrleansLlm.Grains.Shards;

/// <summary>
/// All-reduce of tensor-parallel partial sums as grain messages. Star (TPI-LLM): ranks send their partial to the
/// master, which answers each with the total. All-to-all: every rank sends its partial to every other and sums what
/// it receives. Both sum in rank order, so every rank continues from the same bits.
/// </summary>
public sealed partial class ShardGrain
{
    private AllReduceBuffer? _allReduceBuffer;

    private AllReduceBuffer _allReduce =>
        _allReduceBuffer ??= new AllReduceBuffer(partials => _executor!.RunAsync(() => StageCompute.Sum(partials, _model!.Device)));

    public async Task<TensorBytes?> ContributeAsync(Guid request, long sequence, int rank, TensorBytes partial)
    {
        var (_, _, topology) = Loaded();
        var total = _allReduce.Add(request, sequence, rank, topology.StageShards.Length, partial);
        return topology.AllReduce == AllReduceAlgorithm.Star ? await total : null;
    }

    /// <summary>Returns the total, and the messages and bytes this shard sent for it.</summary>
    private async Task<(TensorBytes Sum, int Messages, long Bytes)> AllReduce(Guid request, RequestState state, TensorBytes partial)
    {
        var (_, _, topology) = Loaded();
        var sequence = state.Sequence++;
        var ranks = topology.StageShards.Length;
        if (topology.AllReduce == AllReduceAlgorithm.Star && topology.Rank != 0)
        {
            var master = GrainFactory.GetGrain<IShardGrain>(topology.StageShards[0]);
            var sum = await master.ContributeAsync(request, sequence, topology.Rank, partial);
            return (sum!, 1, partial.ByteCount);
        }
        var total = _allReduce.Add(request, sequence, topology.Rank, ranks, partial);
        if (topology.AllReduce == AllReduceAlgorithm.Star) return (await total, ranks - 1, (long)(ranks - 1) * partial.ByteCount); // the answers
        var sends = Enumerable.Range(0, ranks).Where(r => r != topology.Rank)
            .Select(r => GrainFactory.GetGrain<IShardGrain>(topology.StageShards[r]).ContributeAsync(request, sequence, topology.Rank, partial))
            .ToList();
        await Task.WhenAll(sends);
        return (await total, sends.Count, (long)sends.Count * partial.ByteCount);
    }
}
