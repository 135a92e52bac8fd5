using Orleans.Streams;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public class PlacementAndEventsTests(ClusterFixture fixture)
{
    private Orleans.TestingHost.TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task ShardsLiveOnTheSiloTheirPlanNames()
    {
        var deployment = await Cluster.Deploy(Fixture.DirOf("qwen2-tiny"), "placement-check");
        var statuses = await Cluster.Shards(deployment);
        Assert.Equal(deployment.Shards.Select(s => s.Silo), statuses.Select(s => s.Silo));
        Assert.All(statuses, s => Assert.True(s.Loaded));
    }

    [Fact]
    public async Task AShardKeyNamingAnAbsentSiloIsNotPlacedElsewhere()
    {
        var grain = Cluster.GrainFactory.GetGrain<IShardGrain>("ghost/0|127.0.0.1:1@1");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => grain.StatusAsync());
        Assert.Contains("is not in the cluster", e.Message);
    }

    [Fact]
    public async Task LoadingProgressAndReadinessArePublished()
    {
        var spec = new DeploySpec { Model = Fixture.DirOf("llama-tiny"), DType = DType.BFloat16 };
        var events = new List<DeploymentEvent>();
        var stream = Cluster.Client.GetStreamProvider(StreamNames.Provider)
            .GetStream<DeploymentEvent>(StreamNames.Deployments, spec.DefaultId());
        var handle = await stream.SubscribeAsync((e, _) => { lock (events) events.Add(e); return Task.CompletedTask; });
        try
        {
            await Cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);
            await GenerationClusterTests.WaitUntil(() => Task.FromResult(Snapshot().Any(e => e.Kind == DeploymentEventKind.Ready)));
            Assert.Contains(Snapshot(), e => e.Kind == DeploymentEventKind.Loaded && e.Shard == 0);
        }
        finally
        {
            await handle.UnsubscribeAsync();
        }
        List<DeploymentEvent> Snapshot() { lock (events) return events.ToList(); }
    }
}
