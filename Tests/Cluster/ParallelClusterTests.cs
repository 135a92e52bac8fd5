using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>Every way of spreading a model over shards gives the tokens and logits of one shard.</summary>
[Collection(FourSiloCollection.Name)]
public class ParallelClusterTests(FourSiloFixture fixture)
{
    private TestCluster Cluster => fixture.Cluster;
    private static readonly string Llama = Fixture.DirOf("llama-tiny");
    private static readonly int[] Prompt = [5, 17, 42, 9, 100, 3, 77, 1];

    public static TheoryData<string, Strategy, int, AllReduceAlgorithm, double[]?> Layouts => new()
    {
        { Llama, Strategy.Tensor, 2, AllReduceAlgorithm.Star, null },
        { Llama, Strategy.Tensor, 2, AllReduceAlgorithm.AllToAll, null },
        { Llama, Strategy.Pipeline, 2, AllReduceAlgorithm.Star, null },
        { Llama, Strategy.PipelineTensor, 4, AllReduceAlgorithm.Star, null },
        { "shape:tiny", Strategy.Tensor, 3, AllReduceAlgorithm.Star, [2.0, 1.0, 1.0] },
        { "shape:tiny", Strategy.Tensor, 4, AllReduceAlgorithm.AllToAll, null },
        { "shape:tiny", Strategy.Pipeline, 3, AllReduceAlgorithm.Star, [1.0, 2.0, 1.0] },
        { "shape:tiny", Strategy.PipelineTensor, 4, AllReduceAlgorithm.AllToAll, null },
    };

    [Theory, MemberData(nameof(Layouts))]
    public async Task ShardedDeploymentsEqualOneShard(string model, Strategy strategy, int shards, AllReduceAlgorithm allReduce, double[]? ratios)
    {
        var single = await Deploy(new DeploySpec { Model = model });
        var sharded = await Deploy(new DeploySpec { Model = model, Strategy = strategy, Shards = shards, AllReduce = allReduce, Ratios = ratios });
        Assert.Equal(shards, sharded.Shards.Length);
        Assert.Equal(Math.Min(shards, 4), sharded.Shards.Select(s => s.Silo).Distinct().Count());

        // The log-likelihood of every position's next token: the whole logits of each position, compared through scoring.
        var want = await Perplexity(single, Prompt);
        var got = await Perplexity(sharded, Prompt);
        Assert.InRange(Math.Abs(got - want) / want, 0, 1e-5);

        var request = new GenerateRequest { DeploymentId = single.Id, PromptIds = Prompt, MaxTokens = 10 };
        var expected = (await Cluster.Generate(request)).Ids();
        var chunks = await Cluster.Generate(request with { DeploymentId = sharded.Id });
        Assert.Equal(expected, chunks.Ids());
        Assert.All(await Cluster.Shards(sharded), s => Assert.Equal(0, s.ActiveRequests));
        if (strategy is Strategy.Tensor or Strategy.PipelineTensor) Assert.True(chunks[^1].Stats!.MessagesPerToken > 0);
    }

    [Fact]
    public async Task UnevenCapacitiesGetUnevenSlices()
    {
        var d = await Deploy(new DeploySpec { Model = "shape:tiny", Strategy = Strategy.Tensor, Shards = 3, Ratios = [2.0, 1.0, 1.0] });
        Assert.Equal([2, 1, 1], d.Shards.Select(s => s.Slice.KvHeadEnd - s.Slice.KvHeadStart));
        Assert.Equal(344, d.Shards.Sum(s => s.Slice.FfnEnd - s.Slice.FfnStart));
        Assert.True(d.Shards[0].Slice.FfnEnd - d.Shards[0].Slice.FfnStart > d.Shards[1].Slice.FfnEnd - d.Shards[1].Slice.FfnStart);
    }

    [Theory]
    [InlineData(Strategy.Tensor, 3, "KV heads")]
    [InlineData(Strategy.Pipeline, 3, "layers")]
    [InlineData(Strategy.PipelineTensor, 3, "multiple of --stages")]
    public async Task PlansThatCannotWorkAreRefusedWithNothingLoaded(Strategy strategy, int shards, string reason)
    {
        var before = await Cluster.Reserved();
        var e = await Assert.ThrowsAsync<OlmException>(() => Deploy(new DeploySpec { Model = Llama, Strategy = strategy, Shards = shards }));
        Assert.Contains(reason, e.Message);
        Assert.Equal(before, await Cluster.Reserved());
    }

    [Fact]
    public async Task LongPromptsCrossShardsInChunks()
    {
        var single = await Deploy(new DeploySpec { Model = "shape:tiny" });
        var sharded = await Deploy(new DeploySpec { Model = "shape:tiny", Strategy = Strategy.Pipeline, Shards = 2 });
        var ids = Enumerable.Range(0, 1500).Select(i => (i * 37) % 512).ToArray(); // 1500 × 128 × 4 B > one chunk
        var a = await Cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).PerplexityAsync(single.Id, ids);
        var b = await Cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).PerplexityAsync(sharded.Id, ids);
        Assert.InRange(Math.Abs(a.Perplexity - b.Perplexity) / a.Perplexity, 0, 1e-5);
    }

    [Theory]
    [InlineData(Strategy.Tensor, 2)]
    [InlineData(Strategy.PipelineTensor, 4)]
    public async Task PerplexityOverVocabularySlicesEqualsTransformers(Strategy strategy, int shards)
    {
        var f = new Fixture("llama-tiny");
        var d = await Deploy(new DeploySpec { Model = f.Dir, Strategy = strategy, Shards = shards });
        Assert.All(d.Shards.Where(s => s.Slice.HasHead), s => Assert.NotNull(s.Slice.VocabStart));
        var ids = f.InputIds.Select(i => (int)i).ToArray();
        var result = await Cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).PerplexityAsync(d.Id, ids);
        var want = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(f.Dir, "expected.json")))
            .RootElement.GetProperty("perplexity").GetDouble();
        Assert.InRange(Math.Abs(result.Perplexity - want) / want, 0, 1e-5);
    }

    [Fact]
    public async Task ConcurrentRequestsThroughAPipelineEqualSequentialOnes()
    {
        var d = await Deploy(new DeploySpec { Model = "shape:tiny", Strategy = Strategy.Pipeline, Shards = 3 });
        var requests = Enumerable.Range(0, 4).Select(i => new GenerateRequest
        {
            DeploymentId = d.Id, PromptIds = [3 + i, 40, 7 * i + 1], MaxTokens = 8, Temperature = 0.7, Seed = (ulong)i,
        }).ToArray();
        var sequential = new List<int[]>();
        foreach (var r in requests) sequential.Add((await Cluster.Generate(r)).Ids());
        var concurrent = await Task.WhenAll(requests.Select(r => Cluster.Generate(r)));
        Assert.Equal(sequential, concurrent.Select(c => c.Ids()));
    }

    private async Task<DeploymentInfo> Deploy(DeploySpec spec) =>
        await Cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);

    private async Task<double> Perplexity(DeploymentInfo d, int[] ids) =>
        (await Cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).PerplexityAsync(d.Id, ids)).Perplexity;
}
