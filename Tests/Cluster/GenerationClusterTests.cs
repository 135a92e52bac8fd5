using OrleansLlm.Engine;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public class GenerationClusterTests(ClusterFixture fixture)
{
    private Orleans.TestingHost.TestCluster Cluster => fixture.Cluster;

    public static TheoryData<string> Fixtures => new(Fixture.Names);

    [Theory, MemberData(nameof(Fixtures))]
    public async Task GreedyGenerationEqualsTheInProcessEngine(string name)
    {
        var f = new Fixture(name);
        var deployment = await Cluster.Deploy(f.Dir);
        var prompt = f.GreedyIds[..f.PromptLength].Select(i => (int)i).ToArray();
        var maxTokens = f.GreedyIds.Length - f.PromptLength;
        var chunks = await Cluster.Generate(new GenerateRequest { DeploymentId = deployment.Id, PromptIds = prompt, MaxTokens = maxTokens });

        using var local = LocalModel.Load(f.Dir);
        var want = new List<int>();
        await foreach (var t in local.GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = maxTokens })) want.Add(t.Id);
        Assert.Equal(want, chunks.Ids());
        if (!f.GreedyIdsMaskedAToken) Assert.Equal(f.GreedyIds[f.PromptLength..].Select(i => (int)i).Take(want.Count), want);
        var last = chunks[^1];
        Assert.NotNull(last.Stats);
        Assert.Equal(prompt.Length, last.Stats!.PromptTokens);
    }

    [Fact]
    public async Task TextPromptsStreamTextThatEqualsTheDecodedIds()
    {
        var dir = Fixture.DirOf("llama-tiny");
        var deployment = await Cluster.Deploy(dir);
        var chunks = await Cluster.Generate(new GenerateRequest
        {
            DeploymentId = deployment.Id, Prompt = "def main():", MaxTokens = 16, Temperature = 0.8, Seed = 11,
        });
        var decoded = await Cluster.GrainFactory.GetGrain<ITokenizerGrain>(dir).DecodeAsync(chunks.Ids());
        Assert.Equal(decoded, string.Concat(chunks.Select(c => c.Text)));
    }

    [Fact]
    public async Task ConcurrentRequestsEqualSequentialOnes()
    {
        var deployment = await Cluster.Deploy(Fixture.DirOf("qwen2-tiny"));
        var requests = Enumerable.Range(0, 4).Select(i => new GenerateRequest
        {
            DeploymentId = deployment.Id, PromptIds = [3 + i, 40, 7 * i + 1], MaxTokens = 12,
            Temperature = i == 0 ? 0 : 0.9, TopK = 40, Seed = (ulong)i,
        }).ToArray();
        var sequential = new List<int[]>();
        foreach (var r in requests) sequential.Add((await Cluster.Generate(r)).Ids());
        var concurrent = await Task.WhenAll(requests.Select(r => Cluster.Generate(r)));
        Assert.Equal(sequential, concurrent.Select(c => c.Ids()));
        Assert.All(await Cluster.Shards(deployment), s => Assert.Equal(0, s.ActiveRequests));
    }

    [Fact]
    public async Task PerplexityEqualsTransformers()
    {
        var f = new Fixture("llama-tiny");
        var deployment = await Cluster.Deploy(f.Dir);
        var ids = f.InputIds.Select(i => (int)i).ToArray();
        var result = await Cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).PerplexityAsync(deployment.Id, ids);
        var want = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(f.Dir, "expected.json")))
            .RootElement.GetProperty("perplexity").GetDouble();
        Assert.InRange(Math.Abs(result.Perplexity - want) / want, 0, 1e-6);
        Assert.Equal(ids.Length, result.Tokens);
    }

    [Fact]
    public async Task CancellingAStreamFreesItsKvCache()
    {
        var deployment = await Cluster.Deploy(Fixture.DirOf("llama-tiny"));
        using var cts = new CancellationTokenSource();
        var request = new GenerateRequest { DeploymentId = deployment.Id, PromptIds = [5, 6, 7], MaxTokens = 400 };
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request, cts.Token))
                if (++seen == 3) cts.Cancel();
        });
        await WaitUntil(async () => (await Cluster.Shards(deployment)).All(s => s.ActiveRequests == 0 && s.KvBlocksUsed <= 0));
    }

    internal static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan? limit = null)
    {
        var within = limit ?? TimeSpan.FromSeconds(10);
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < within;)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"condition not reached within {within.TotalSeconds} s");
    }
}
