using Orleans.Streams;
using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>
/// A silo holding shards is killed while a request generates: the deployment is planned again on the surviving silos,
/// the request rebuilds its KV cache by prefilling its prompt plus what it had generated, and its stream carries on
/// with exactly the tokens of an undisturbed run; the survivors' memory ledgers hold only the new plan.
/// </summary>
public class RecoveryTests
{
    [Theory]
    [InlineData(Strategy.Single, 1)]
    [InlineData(Strategy.Pipeline, 2)]
    [InlineData(Strategy.Tensor, 2)]
    [InlineData(Strategy.Sequence, 2)]
    public async Task AGenerationSurvivesTheLossOfAShardSilo(Strategy strategy, int shards)
    {
        await using var cluster = await OlmTestCluster.StartAsync(silos: 3, gatewayOnFirstOnly: true);
        // A filler on the first silo (the planner breaks ties in silo order) sends a single shard to another one.
        await cluster.Deploy(Fixture.DirOf("qwen2-tiny"));
        var spec = new DeploySpec { Model = Fixture.DirOf("llama-tiny"), Shards = shards, Strategy = strategy };
        var deployment = cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId());
        var before = await deployment.DeployAsync(spec);
        var request = new GenerateRequest { DeploymentId = before.Id, PromptIds = [1, 5, 9, 13], MaxTokens = 400, IgnoreEos = true };
        var undisturbed = (await cluster.Generate(request)).Ids();

        var victim = cluster.SecondarySilos.First(s => before.Shards.Any(p => p.Silo == s.SiloAddress.ToParsableString()));
        // A request that arrives once the deployment says it is being planned again waits for it (it was refused before).
        var arriving = new TaskCompletionSource<Task<int[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = await cluster.Client.GetStreamProvider(StreamNames.Provider)
            .GetStream<DeploymentEvent>(StreamNames.Deployments, before.Id)
            .SubscribeAsync((e, _) =>
            {
                if (e.Message?.Contains("planning it again") == true) arriving.TrySetResult(Generate(cluster, request));
                return Task.CompletedTask;
            });
        var chunks = new List<TokenChunk>();
        await foreach (var chunk in cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request))
        {
            chunks.Add(chunk);
            if (chunks.Count == 10) await cluster.KillSiloAsync(victim);
        }

        Assert.Equal(undisturbed, chunks.Ids());
        Assert.Equal(undisturbed, await await arriving.Task.WaitAsync(TimeSpan.FromMinutes(2)));
        await handle.UnsubscribeAsync();
        Assert.Equal(1, chunks[^1].Stats!.Recoveries);
        var after = (await deployment.GetAsync())!;
        Assert.Equal((DeploymentState.Ready, 1), (after.State, after.Epoch));
        Assert.DoesNotContain(after.Shards, s => s.Silo == victim.SiloAddress.ToParsableString());
        Assert.Equal(undisturbed, (await cluster.Generate(request)).Ids());
        // The survivors hold the new plan and nothing else: undeployed, nothing stays reserved.
        await deployment.UndeployAsync();
        await cluster.GrainFactory.GetGrain<IDeploymentGrain>(new DeploySpec { Model = Fixture.DirOf("qwen2-tiny") }.DefaultId()).UndeployAsync();
        Assert.Equal(0, await cluster.Reserved());
    }

    private static async Task<int[]> Generate(TestCluster cluster, GenerateRequest request) => (await cluster.Generate(request)).Ids();

    /// <summary>A silo told to stop moves its shards off first: the request resumes at once, with no failure to detect.</summary>
    [Fact]
    public async Task AStoppingSiloDrainsItsShardsAndTheGenerationCarriesOn()
    {
        await using var cluster = await OlmTestCluster.StartAsync(silos: 3, gatewayOnFirstOnly: true);
        var spec = new DeploySpec { Model = Fixture.DirOf("qwen2-tiny"), Shards = 2, Strategy = Strategy.Pipeline };
        var deployment = cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId());
        var before = await deployment.DeployAsync(spec);
        var request = new GenerateRequest { DeploymentId = before.Id, PromptIds = [3, 1, 4, 1, 5], MaxTokens = 400, IgnoreEos = true };
        var undisturbed = (await cluster.Generate(request)).Ids();

        var leaving = cluster.SecondarySilos.First(s => before.Shards.Any(p => p.Silo == s.SiloAddress.ToParsableString()));
        var events = new List<DeploymentEvent>();
        var handle = await cluster.Client.GetStreamProvider(StreamNames.Provider)
            .GetStream<DeploymentEvent>(StreamNames.Deployments, before.Id)
            .SubscribeAsync((e, _) => { lock (events) events.Add(e); return Task.CompletedTask; });
        var chunks = new List<TokenChunk>();
        Task? stop = null;
        await foreach (var chunk in cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request))
        {
            chunks.Add(chunk);
            if (chunks.Count == 10) stop = cluster.StopSiloAsync(leaving);
        }
        await stop!;
        await handle.UnsubscribeAsync();
        // Moved because it was stopping, not found dead later.
        lock (events) Assert.Contains(events, e => e.Message?.Contains("is stopping") == true);

        Assert.Equal(undisturbed, chunks.Ids());
        Assert.Equal(1, chunks[^1].Stats!.Recoveries);
        var after = (await deployment.GetAsync())!;
        Assert.Equal((DeploymentState.Ready, 1), (after.State, after.Epoch));
        Assert.DoesNotContain(after.Shards, s => s.Silo == leaving.SiloAddress.ToParsableString());
    }
}
