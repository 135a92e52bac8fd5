using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine;
using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Model;
using OrleansLlm.Tests.Engine;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Memory;

/// <summary>A shard that streams its layers through a weight window computes exactly what the resident shard computes.</summary>
public class WindowedModelTests
{
    public static TheoryData<string, int> FixturesAndWindows => new()
    {
        { "llama-tiny", 2 }, { "llama-tiny", 3 }, { "qwen2-tiny", 2 }, { "qwen2-tiny", 3 },
    };

    private static ShardModel Windowed(Fixture f, int window, ModelSlice? slice = null)
    {
        using var checkpoint = Checkpoint.Open(f.Dir);
        return ShardModel.Load(f.Config, slice ?? ModelSlice.Full(f.Config), new ShardOptions { Window = window }, checkpoint,
            streamed: StreamingCheckpoint.Open(f.Dir));
    }

    [Theory, MemberData(nameof(FixturesAndWindows))]
    public void BatchedStepsGiveTheResidentBitsAndGreedyIds(string name, int window)
    {
        var f = new Fixture(name);
        using var resident = f.LoadModel();
        using var windowed = Windowed(f, window);
        var prompt = f.GreedyIds[..f.PromptLength].Select(i => (int)i).ToArray();
        var (wantIds, want) = PagedRun.Greedy(resident, prompt, 6);
        var (gotIds, got) = PagedRun.Greedy(windowed, prompt, 6);
        Assert.Equal(wantIds, gotIds);
        for (var i = 0; i < want.Count; i++) Assert.Equal(0, Fixture.MaxAbsDiff(want[i], got[i]));
        var stats = windowed.WeightStats;
        Assert.Equal(window, stats.Window);
        Assert.Equal(2 * f.Config.NumLayers, stats.Blocks);
        Assert.True(stats.Loads >= 6 * stats.Blocks, $"{stats.Loads} loads for 6 steps of {stats.Blocks} blocks");
    }

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    public async Task GreedyGenerationThroughTheWindowEqualsTransformers(string name)
    {
        var f = new Fixture(name);
        using var model = LocalModel.Load(f.Dir, new ShardOptions { Window = 2 });
        var prompt = f.GreedyIds[..f.PromptLength].Select(i => (int)i).ToArray();
        var ids = new List<long>();
        var options = new GenerationOptions { MaxNewTokens = f.GreedyIds.Length - f.PromptLength, EosTokenIds = [] };
        await foreach (var t in model.GenerateAsync(prompt, options)) ids.Add(t.Id);
        Assert.Equal(f.GreedyIds[f.PromptLength..], ids);
    }

    [Fact]
    public void TensorParallelPartialsThroughAWindowEqualTheResidentOnes()
    {
        var f = new Fixture("llama-tiny");
        var slice = new ModelSlice { LayerStart = 0, LayerEnd = f.Config.NumLayers, KvHeadStart = 1, KvHeadEnd = 2, FfnStart = 10, FfnEnd = 40 };
        using var resident = f.LoadModel(slice);
        using var windowed = Windowed(f, 2, slice);
        using var x = randn(3, f.Config.HiddenSize, generator: new TorchSharp.torch.Generator(5));
        using var residentPool = resident.NewPool(4, 4);
        using var windowedPool = windowed.NewPool(4, 4);
        using var batch = BatchTensors.Build(new BatchLayout([new BatchEntry(0, 3, [1], BatchOutput.None)], 4), CPU);
        using var residentRun = resident.StartHalves(batch, residentPool, partial: true);
        using var windowedRun = windowed.StartHalves(batch, windowedPool, partial: true);
        for (var layer = 0; layer < f.Config.NumLayers; layer++)
        {
            using var a = residentRun.Attention(layer, x);
            using var b = windowedRun.Attention(layer, x);
            Assert.Equal(0, Fixture.MaxAbsDiff(a, b));
            using var c = residentRun.Mlp(layer, x);
            using var d = windowedRun.Mlp(layer, x);
            Assert.Equal(0, Fixture.MaxAbsDiff(c, d));
        }
    }
}
