using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using OrleansLlm.Engine.Parallel;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// What a loaded shard holds, shared by the roles it plays: its slice's weights and KV pool on one device, the executor
/// thread every tensor operation on them runs on, and the bytes it reserved on that device's ledger.
/// </summary>
internal sealed class LoadedShard(string key, ShardLoadSpec spec, ShardModel model, PagedKvPool? pool, DeviceCollective? collective,
    DeviceExecutor executor, DeviceLedger ledger, long reservedBytes)
{
    private DecodeGraphs? _graphs;

    public string Key => key;
    public ShardLoadSpec Spec => spec;
    public ShardTopology Topology => spec.Topology;
    public ShardModel Model => model;

    /// <summary>The paged KV pool of a batched deployment's shard; null on a sequence-parallel one.</summary>
    public PagedKvPool? Pool => pool;

    /// <summary>The NCCL collective of this rank's stage, where its ranks add on the devices; null for grain messages.</summary>
    public DeviceCollective? Collective => collective;

    public DeviceExecutor Executor => executor;
    public DeviceLedger Ledger => ledger;
    public long ReservedBytes => reservedBytes;

    /// <summary>This shard's decode graphs, where they can run (on the executor: it may load the native component).</summary>
    public DecodeGraphs? Graphs() =>
        _graphs ??= pool is { } p && DecodeGraphs.Possible(model) ? new DecodeGraphs(model, p, collective) : null;

    /// <summary>Frees the graphs, the pool and the weights (through the executor: a step may still be running there), then their bytes.</summary>
    public async Task DisposeAsync()
    {
        await executor.RunAsync(() => { _graphs?.Dispose(); pool?.Dispose(); model.Dispose(); });
        ledger.Release(reservedBytes);
    }
}
