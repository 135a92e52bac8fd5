using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>A burst of 500 requests queues and completes, leaking no block; past the queue limit requests are refused as busy.</summary>
public sealed class BurstTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await OlmTestCluster.StartAsync(silos: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<DeploymentInfo> Deploy(ServingSettings serving)
    {
        var spec = new DeploySpec { Model = Fixture.DirOf("llama-tiny"), Serving = serving };
        return await _cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);
    }

    private static GenerateRequest Request(DeploymentInfo d, int i) =>
        new() { DeploymentId = d.Id, PromptIds = [1 + i % 250, 2, 3 + i % 7], MaxTokens = 3, IgnoreEos = true };

    [Fact]
    public async Task FiveHundredRequestsAtOnceAllCompleteAndEveryBlockComesBack()
    {
        var d = await Deploy(new ServingSettings { KvCacheTokens = 4096 });
        var before = (await _cluster.Shards(d))[0];
        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => _cluster.Generate(Request(d, i))));
        Assert.All(results, r => Assert.Equal(3, r.Ids().Length));
        var after = (await _cluster.Shards(d))[0];
        Assert.Equal((before.KvBlocks, 0, 0), (after.KvBlocks, after.KvBlocksUsed, after.ActiveRequests));
    }

    [Fact]
    public async Task PastTheQueueLimitARequestIsRefusedAsBusyAndTheRestComplete()
    {
        var d = await Deploy(new ServingSettings { MaxRunning = 2, MaxWaiting = 3 });
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            try { return (await _cluster.Generate(Request(d, i))).Ids().Length == 3 ? "done" : "short"; }
            catch (OlmException e) { return e.Message; }
        }));
        Assert.Contains("done", outcomes);
        Assert.Contains(outcomes, o => o.StartsWith("busy:", StringComparison.Ordinal) && o.Contains("the limit is 3"));
        Assert.DoesNotContain("short", outcomes);
        Assert.Equal(0, (await _cluster.Shards(d))[0].KvBlocksUsed);
    }
}
