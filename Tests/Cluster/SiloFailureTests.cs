using Orleans.Streams;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>
/// A silo that dies takes its shards with it: its deployment is planned again on the silos left, or, where it no
/// longer fits, fails with the reason; other deployments serve throughout.
/// </summary>
public class SiloFailureTests
{
    [Theory]
    [InlineData(0, DeploymentState.Ready)]          // room enough: planned again on the survivor
    [InlineData(1.0 / 1024, DeploymentState.Failed)] // 1 MiB a silo: the survivor's KV pool has taken its memory
    public async Task ALostSilosDeploymentIsPlannedAgainOrFailsWithTheReason(double memoryGiB, DeploymentState outcome)
    {
        await using var cluster = await OlmTestCluster.StartAsync(silos: 2, memoryGiB: memoryGiB, gatewayOnFirstOnly: true);
        // The planner takes the device with the most free memory, so two deployments land on different silos.
        var a = await cluster.Deploy(Fixture.DirOf("llama-tiny"));
        var b = await cluster.Deploy(Fixture.DirOf("qwen2-tiny"));
        Assert.NotEqual(a.Shards[0].Silo, b.Shards[0].Silo);
        var secondary = cluster.SecondarySilos[0];
        var (doomed, survivor) = a.Shards[0].Silo == secondary.SiloAddress.ToParsableString() ? (a, b) : (b, a);

        var events = new List<DeploymentEvent>();
        var handle = await cluster.Client.GetStreamProvider(StreamNames.Provider)
            .GetStream<DeploymentEvent>(StreamNames.Deployments, doomed.Id)
            .SubscribeAsync((e, _) => { lock (events) events.Add(e); return Task.CompletedTask; });
        await cluster.KillSiloAsync(secondary);

        var grain = cluster.GrainFactory.GetGrain<IDeploymentGrain>(doomed.Id);
        await GenerationClusterTests.WaitUntil(async () => (await grain.GetAsync())!.State == outcome, TimeSpan.FromSeconds(30));
        await GenerationClusterTests.WaitUntil(() => { lock (events) return Task.FromResult(events.Any(e => e.Kind == DeploymentEventKind.Failed)); });
        await handle.UnsubscribeAsync();
        var request = new GenerateRequest { DeploymentId = doomed.Id, PromptIds = [1, 2], MaxTokens = 2 };
        if (outcome == DeploymentState.Ready)
            Assert.Equal(2, (await cluster.Generate(request)).Ids().Length);
        else
        {
            var e = await Assert.ThrowsAsync<OlmException>(() => cluster.Generate(request));
            Assert.Contains("died", e.Message);
            Assert.Contains("cannot be planned again", e.Message);
        }
        var ok = await cluster.Generate(new GenerateRequest { DeploymentId = survivor.Id, PromptIds = [1, 2], MaxTokens = 2 });
        Assert.Equal(2, ok.Ids().Length);
    }
}
