using Orleans.Streams;
using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>A silo that leaves takes its shards with it: their deployment is marked failed, the rest keeps serving.</summary>
public sealed class SiloFailureTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await OlmTestCluster.StartAsync(silos: 2);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task ShardFailureIsReportedAndOtherDeploymentsServe()
    {
        // The planner takes the device with the most free memory, so two deployments land on different silos.
        var a = await _cluster.Deploy(Fixture.DirOf("llama-tiny"));
        var b = await _cluster.Deploy(Fixture.DirOf("qwen2-tiny"));
        Assert.NotEqual(a.Shards[0].Silo, b.Shards[0].Silo);
        var secondary = _cluster.SecondarySilos[0];
        var (doomed, survivor) = a.Shards[0].Silo == secondary.SiloAddress.ToParsableString() ? (a, b) : (b, a);

        var failures = new List<DeploymentEvent>();
        var handle = await _cluster.Client.GetStreamProvider(StreamNames.Provider)
            .GetStream<DeploymentEvent>(StreamNames.Deployments, doomed.Id)
            .SubscribeAsync((e, _) => { lock (failures) if (e.Kind == DeploymentEventKind.Failed) failures.Add(e); return Task.CompletedTask; });
        await _cluster.StopSiloAsync(secondary);

        await GenerationClusterTests.WaitUntil(async () =>
            (await _cluster.GrainFactory.GetGrain<IDeploymentGrain>(doomed.Id).GetAsync())!.State == DeploymentState.Failed);
        await GenerationClusterTests.WaitUntil(() => { lock (failures) return Task.FromResult(failures.Count > 0); });
        await handle.UnsubscribeAsync();
        var e = await Assert.ThrowsAsync<OlmException>(() =>
            _cluster.Generate(new GenerateRequest { DeploymentId = doomed.Id, PromptIds = [1, 2], MaxTokens = 2 }));
        Assert.Contains("died", e.Message);
        var ok = await _cluster.Generate(new GenerateRequest { DeploymentId = survivor.Id, PromptIds = [1, 2], MaxTokens = 2 });
        Assert.Equal(2, ok.Ids().Length);
    }
}
