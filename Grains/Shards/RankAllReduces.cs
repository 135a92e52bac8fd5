using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// This rank's end of its stage's all-reduces as grain messages. Star (TPI-LLM): ranks send their partial to the
/// master, which answers each with the total. All-to-all: every rank sends its partial to every other and sums what
/// it receives. Both sum in rank order, so every rank continues from the same bits.
/// </summary>
internal sealed class RankAllReduces
{
    private readonly LoadedShard _shard;
    private readonly IGrainFactory _grains;
    private readonly AllReduceBuffer _buffer;

    public RankAllReduces(LoadedShard shard, IGrainFactory grains)
    {
        (_shard, _grains) = (shard, grains);
        _buffer = new AllReduceBuffer(partials => shard.Executor.RunAsync(() => Sum(partials, shard.Model.Device)));
    }

    /// <summary>A rank's partial arriving here; with the star algorithm its answer is the total.</summary>
    public async Task<TensorBytes?> ContributeAsync(long batch, int op, int rank, TensorBytes partial)
    {
        var topology = _shard.Topology;
        var total = _buffer.Add(batch, op, rank, topology.StageShards.Length, partial);
        return topology.AllReduce == AllReduceAlgorithm.Star ? await total : null;
    }

    /// <summary>A rank of the batch failed: its all-reduces here fail, so no rank waits for ever.</summary>
    public void Abort(long batch, string reason) => _buffer.Abort(batch, reason);

    /// <summary>The shard unloads: pending and later all-reduces fail.</summary>
    public void Close(string reason) => _buffer.Close(reason);

    /// <summary>One batch's all-reduces from this rank.</summary>
    public GrainAllReduce For(long batch) => new(_grains, _buffer, batch, _shard.Topology);

    /// <summary>The sum of the ranks' float32 partials in rank order, on the summing shard's device (kept float32: each
    /// rank rounds once, after adding it to its residual).</summary>
    private static TensorBytes Sum(TensorBytes[] partials, Device device)
    {
        using var scope = NewDisposeScope();
        var total = TensorWire.FromBytes(partials[0], device).to(ScalarType.Float32);
        foreach (var p in partials.Skip(1)) total = total.add(TensorWire.FromBytes(p, device).to(ScalarType.Float32));
        return TensorWire.ToBytes(total);
    }
}
