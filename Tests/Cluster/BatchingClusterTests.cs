using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>
/// Requests of different prompt lengths run together in batches (prompts in chunks of 8 tokens beside the others'
/// decode steps) and each gets exactly the tokens it gets alone, on every fixture and strategy.
/// </summary>
[Collection(FourSiloCollection.Name)]
public class BatchingClusterTests(FourSiloFixture fixture)
{
    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<string, Strategy, int> Layouts()
    {
        var data = new TheoryData<string, Strategy, int>();
        foreach (var model in Fixture.Names)
        {
            data.Add(model, Strategy.Single, 1);
            data.Add(model, Strategy.Pipeline, 2);
            data.Add(model, Strategy.Sequence, 2);
            if (new Fixture(model).Config.NumKvHeads < 2) continue; // a tensor-parallel rank holds at least one KV head
            data.Add(model, Strategy.Tensor, 2);
            data.Add(model, Strategy.PipelineTensor, 4);
        }
        return data;
    }

    [Theory, MemberData(nameof(Layouts))]
    public async Task EveryRequestInABatchGetsTheTokensItGetsAlone(string model, Strategy strategy, int shards)
    {
        var spec = new DeploySpec
        {
            Model = Fixture.DirOf(model), Strategy = strategy, Shards = shards,
            Serving = new ServingSettings { PrefillChunk = 8 },
        };
        var d = await Cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);
        var requests = new[] { 1, 5, 13, 30, 47 }.Select((length, i) => new GenerateRequest
        {
            DeploymentId = d.Id, PromptIds = Enumerable.Range(0, length).Select(p => (p * 31 + i * 7 + 3) % 290).ToArray(),
            MaxTokens = 12, IgnoreEos = true,
        }).ToArray();
        var alone = new List<int[]>();
        foreach (var r in requests) alone.Add((await Cluster.Generate(r)).Ids());
        var together = await Task.WhenAll(requests.Select(r => Cluster.Generate(r)));
        Assert.Equal(alone, together.Select(c => c.Ids()));
        if (strategy != Strategy.Sequence)
            Assert.Contains(together, c => c[^1].Stats!.BatchRowsPerStep > 1); // they did share batches
        Assert.All(await Cluster.Shards(d), s => Assert.Equal(0, s.ActiveRequests));
    }
}
