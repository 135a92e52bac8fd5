using Microsoft.Extensions.Logging;
using OrleansLlm.Engine.Config;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// The roles a loaded shard plays, from its place in the deployment. A shard with a KV pool is a rank of its pipeline
/// stage: the master at rank 0 (and, in the first stage, the deployment's entry, which schedules every batch), a
/// tensor-parallel peer otherwise. A shard without one serves sequence-parallel requests. Roles it does not play are null.
/// </summary>
internal sealed record ShardRoles(LoadedShard Shard, StageRank? Rank, StageMaster? Master, TensorPeer? Peer,
    DeploymentEntry? Entry, SequenceShard? Sequence)
{
    public static ShardRoles For(LoadedShard shard, ModelConfig config, IGrainFactory grains, string localSilo, long kvPieceBytes, ILogger log)
    {
        if (shard.Pool is null)
            return new(shard, null, null, null, null, new SequenceShard(shard, grains, localSilo, kvPieceBytes, log));
        var rank = new StageRank(shard, new RankAllReduces(shard, grains));
        if (shard.Topology.Rank != 0) return new(shard, rank, null, new TensorPeer(rank), null, null);
        var master = new StageMaster(rank, grains, log);
        var entry = DeploymentEntry.Plays(shard.Spec) ? new DeploymentEntry(shard, config, master) : null;
        return new(shard, rank, master, null, entry, null);
    }

    /// <summary>
    /// The shard unloads: its all-reduces fail, its requests' caches go, the entry's running requests fail as after a
    /// lost silo, then the weights and the pool are freed.
    /// </summary>
    public async Task StopAsync()
    {
        Rank?.AllReduces.Close($"shard {Shard.Key} was unloaded during an all-reduce");
        if (Sequence is { } sequence) await sequence.ReleaseAllAsync();
        Entry?.Stop();
        await Shard.DisposeAsync();
    }
}
