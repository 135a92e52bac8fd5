using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>Sequence-parallel prefill as grain messages, then decode over the spread KV, gives one shard's tokens.</summary>
[Collection(FourSiloCollection.Name)]
public class SequenceClusterTests(FourSiloFixture fixture)
{
    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<string, string, int, int> Cases()
    {
        var data = new TheoryData<string, string, int, int>();
        foreach (var prefill in new[] { "ring", "striped", "runahead" })
        {
            data.Add("llama-tiny", prefill, 2, 16);
            data.Add("qwen2-tiny", prefill, 3, 11);   // does not divide evenly
            data.Add("llama-tiny", prefill, 4, 3);    // shorter than the shard count
            data.Add("qwen2-tiny", prefill, 4, 1);    // one token
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public async Task GreedyIdsEqualOneShard(string model, string prefill, int shards, int promptLength)
    {
        var dir = Fixture.DirOf(model);
        var single = await Deploy(new DeploySpec { Model = dir });
        var sequence = await Deploy(new DeploySpec { Model = dir, Strategy = Strategy.Sequence, Shards = shards, Prefill = EnumText<PrefillAlgorithm>.Parse(prefill, "prefill") });
        Assert.Equal(Math.Min(shards, 4), sequence.Shards.Select(s => s.Silo).Distinct().Count());
        var prompt = Enumerable.Range(0, promptLength).Select(i => (i * 13 + 7) % 290).ToArray();
        var request = new GenerateRequest { DeploymentId = single.Id, PromptIds = prompt, MaxTokens = 8 };
        var want = (await Cluster.Generate(request)).Ids();
        var got = (await Cluster.Generate(request with { DeploymentId = sequence.Id })).Ids();
        Assert.Equal(want, got);
        Assert.All(await Cluster.Shards(sequence), s => Assert.Equal(0, s.ActiveRequests));
    }

    [Fact]
    public async Task TheKvCacheStaysSpreadOverTheShards()
    {
        var d = await Deploy(new DeploySpec { Model = Fixture.DirOf("llama-tiny"), Strategy = Strategy.Sequence, Shards = 3, Prefill = PrefillAlgorithm.Striped });
        var stream = Cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid())
            .GenerateAsync(new GenerateRequest { DeploymentId = d.Id, PromptIds = Enumerable.Range(1, 30).ToArray(), MaxTokens = 50 })
            .GetAsyncEnumerator();
        try
        {
            for (var i = 0; i < 6; i++) Assert.True(await stream.MoveNextAsync());
            // 30 prompt tokens striped 10/10/10, then each decoded token's KV kept by the least-loaded shard (the grain
            // may have generated ahead of what we read): balanced within one token, none of it on a single shard.
            var cached = (await Cluster.Shards(d)).Select(s => s.CachedTokens).ToArray();
            Assert.InRange(cached.Sum(), 35, 30 + 50);
            Assert.InRange(cached.Max() - cached.Min(), 0, 1);
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private async Task<DeploymentInfo> Deploy(DeploySpec spec) =>
        await Cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);
}
