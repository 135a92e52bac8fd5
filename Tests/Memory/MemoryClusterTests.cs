using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Cluster;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Memory;

/// <summary>Int8 and windowed deployments on a 2-silo cluster, over every strategy that batches.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MemoryClusterTests(ClusterFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-window-").FullName;
    private Orleans.TestingHost.TestCluster Cluster => fixture.Cluster;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<DeploymentInfo> Deploy(DeploySpec spec) =>
        await Cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);

    private async Task<int[]> Greedy(DeploymentInfo d, int[] prompt, int tokens = 8) =>
        (await Cluster.Generate(new GenerateRequest { DeploymentId = d.Id, PromptIds = prompt, MaxTokens = tokens, IgnoreEos = true })).Ids();

    /// <summary>Both fixtures alone and over two tensor-parallel ranks; shape:tiny's 4 layers over two pipeline stages.</summary>
    public static TheoryData<string, Strategy, int> Layouts => new()
    {
        { "llama-tiny", Strategy.Single, 1 }, { "qwen2-tiny", Strategy.Single, 1 },
        { "llama-tiny", Strategy.Tensor, 2 }, { "qwen2-tiny", Strategy.Tensor, 2 },
        { "shape:tiny", Strategy.Pipeline, 2 }, { "shape:tiny", Strategy.PipelineTensor, 4 },
    };

    [Theory, MemberData(nameof(Layouts))]
    public async Task AWindowOfTwoBlocksGivesTheResidentGreedyIds(string name, Strategy strategy, int shards)
    {
        var model = name.StartsWith("shape:") ? name : Fixture.DirOf(name);
        var resident = new DeploySpec { Model = model, Strategy = strategy, Shards = shards };
        var windowed = resident with { Weights = new WeightSettings { MemoryWindow = 2 } };
        int[] prompt = name.StartsWith("shape:") ? [5, 17, 300, 2] : new Fixture(name).GreedyIds[..4].Select(i => (int)i).ToArray();
        var want = await Greedy(await Deploy(resident), prompt);
        var d = await Deploy(windowed);
        Assert.All(d.Shards, s => Assert.Equal(2, s.Window));
        Assert.Equal(want, await Greedy(d, prompt));
        var status = await Cluster.Shards(d);
        Assert.All(status, s => Assert.True(s.Weights is { Window: 2 } w && w.Loads >= w.Blocks, $"{s.Weights}"));
    }

    [Theory]
    [InlineData(Strategy.Single, 1)]
    [InlineData(Strategy.Tensor, 2)]
    public async Task Int8DeploymentsGenerateAndSayTheyAreInt8(Strategy strategy, int shards)
    {
        var spec = new DeploySpec { Model = Fixture.DirOf("llama-tiny"), Strategy = strategy, Shards = shards, Weights = new WeightSettings { Quantize = Quantization.Int8 } };
        var d = await Deploy(spec);
        Assert.Equal(8, (await Greedy(d, [1, 2, 3])).Length);
        Assert.All(await Cluster.Shards(d), s => Assert.Equal("int8 (threshold 6)", s.Weights!.Quantization));
        var fp32 = await Deploy(spec with { Weights = new WeightSettings() });
        Assert.True(d.Shards.Sum(s => s.WeightBytes) < fp32.Shards.Sum(s => s.WeightBytes) * 0.6);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("deleted")]
    public async Task ACheckpointBrokenWhileTheWindowStreamsFailsRequestsInOneLineAndComesBack(string how)
    {
        foreach (var f in Directory.GetFiles(Fixture.DirOf("llama-tiny"))) File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        var d = await Deploy(new DeploySpec { Model = _dir, Weights = new WeightSettings { MemoryWindow = 2 } });
        var want = await Greedy(d, [1, 2, 3]);
        var weights = Path.Combine(_dir, "model.safetensors");
        var bytes = await File.ReadAllBytesAsync(weights);
        if (how == "truncated") await File.WriteAllBytesAsync(weights, bytes[..(bytes.Length / 2)]);
        else File.Delete(weights);
        var e = await Assert.ThrowsAsync<OlmException>(() => Greedy(d, [1, 2, 3]));
        Assert.Contains(how == "truncated" ? "truncated safetensors file" : "is gone", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        // Another deployment serves on; the broken one serves again once its file is back.
        var other = await Cluster.Deploy(Fixture.DirOf("qwen2-tiny"));
        Assert.Equal(8, (await Greedy(other, [1, 2, 3])).Length);
        await File.WriteAllBytesAsync(weights, bytes);
        Assert.Equal(want, await Greedy(d, [1, 2, 3]));
        Assert.All(await Cluster.Shards(d), s => Assert.Equal(0, s.ActiveRequests));
    }
}
