using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Tests.Cluster;

/// <summary>What a client does: deploy a model, generate from it, read shard status.</summary>
public static class ClusterCalls
{
    public static async Task<DeploymentInfo> Deploy(this TestCluster cluster, string model, string? id = null)
    {
        var spec = new DeploySpec { Model = model };
        return await cluster.GrainFactory.GetGrain<IDeploymentGrain>(id ?? spec.DefaultId()).DeployAsync(spec);
    }

    public static async Task<List<TokenChunk>> Generate(this TestCluster cluster, GenerateRequest request,
        CancellationToken cancellation = default)
    {
        var chunks = new List<TokenChunk>();
        await foreach (var c in cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request, cancellation))
            chunks.Add(c);
        return chunks;
    }

    public static int[] Ids(this IEnumerable<TokenChunk> chunks) => chunks.SelectMany(c => c.Ids).ToArray();

    public static async Task<ShardStatus[]> Shards(this TestCluster cluster, DeploymentInfo d) =>
        await Task.WhenAll(d.Shards.Select(s => cluster.GrainFactory.GetGrain<IShardGrain>(s.GrainKey).StatusAsync()));

    /// <summary>Bytes reserved on every device of every silo (weights and KV caches).</summary>
    public static async Task<long> Reserved(this TestCluster cluster)
    {
        var hosts = await cluster.GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(true);
        var inventories = await Task.WhenAll(hosts.Keys.Select(s =>
            cluster.GrainFactory.GetGrain<ISiloInventoryGrain>(s.ToParsableString()).GetAsync()));
        return inventories.Sum(i => i.Devices.Sum(d => d.ReservedBytes));
    }
}
