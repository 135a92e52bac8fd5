using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Parallel;
using OrleansLlm.Engine.Sequence;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>Every way of cutting the model, recombined, equals the whole model.</summary>
public class SliceTests
{
    private static readonly long[] Prompt = [3, 17, 42, 5, 9, 60, 1, 33, 12];
    private const long NextToken = 21;

    public static TheoryData<(int, int)[], (int, int)[], bool> TensorCuts => new()
    {
        { [(0, 4)], [(0, 50)], false },
        { [(0, 2), (2, 4)], [(0, 25), (25, 50)], false },
        { [(0, 1), (1, 3), (3, 4)], [(0, 7), (7, 40), (40, 50)], true },
        { [(0, 1), (1, 2), (2, 3), (3, 4)], [(0, 13), (13, 14), (14, 30), (30, 50)], false },
    };

    [Theory, MemberData(nameof(TensorCuts))]
    public async Task TensorParallelRanksEqualTheFullModel((int, int)[] kv, (int, int)[] ffn, bool bias)
    {
        var c = RandomModel.Config(bias: bias);
        using var full = RandomModel.Load(c, ModelSlice.Full(c));
        var shards = kv.Zip(ffn, (k, f) => RandomModel.Load(c, RandomModel.Slice(c, k, f))).ToArray();
        var pools = shards.Select(s => s.NewPool(blocks: 4, blockSize: 4)).ToArray();
        using var fullCache = full.NewCache(16);
        try
        {
            foreach (var (start, step) in new[] { (0, Prompt), (Prompt.Length, new[] { NextToken }) })
            {
                using var scope = NewDisposeScope();
                var ids = tensor(step);
                var want = full.Logits(full.ForwardLayers(full.Embed(ids), fullCache));
                var layout = new BatchLayout([new BatchEntry(start, step.Length, [1, 2, 3], BatchOutput.Next)], blockSize: 4);
                using var batch = BatchTensors.Build(layout, CPU);
                var group = new FakeAllReduce(shards.Length);
                var outputs = await Task.WhenAll(shards.Select((s, r) =>
                    TensorParallelForward.RunAsync(s, full.Embed(ids), batch, pools[r], group.For(r), InlineRunner.Instance)));
                Assert.Equal(2 * c.NumLayers, group.Operations);
                foreach (var got in outputs) Assert.InRange(Fixture.MaxAbsDiff(full.Logits(got), want), 0, 1e-5);
            }
        }
        finally
        {
            foreach (var d in shards.Cast<IDisposable>().Concat(pools)) d.Dispose();
        }
    }

    public static TheoryData<int[]> LayerCuts => new() { new[] { 0, 1, 3 }, new[] { 0, 2, 3 }, new[] { 0, 1, 2, 3 } };

    [Theory, MemberData(nameof(LayerCuts))]
    public void PipelineStagesEqualTheFullModel(int[] bounds)
    {
        var c = RandomModel.Config();
        using var full = RandomModel.Load(c, ModelSlice.Full(c));
        var stages = bounds.Zip(bounds.Skip(1), (a, b) => RandomModel.Load(c, ModelSlice.Full(c) with
        {
            LayerStart = a, LayerEnd = b, HasEmbedding = a == 0, HasHead = b == c.NumLayers,
        })).ToArray();
        var caches = stages.Select(s => s.NewCache(16)).ToArray();
        using var fullCache = full.NewCache(16);
        try
        {
            foreach (var step in new[] { Prompt, [NextToken] })
            {
                using var scope = NewDisposeScope();
                var want = full.Logits(full.ForwardLayers(full.Embed(tensor(step)), fullCache));
                var x = stages[0].Embed(tensor(step));
                for (var i = 0; i < stages.Length; i++) x = stages[i].ForwardLayers(x, caches[i]);
                Assert.InRange(Fixture.MaxAbsDiff(stages[^1].Logits(x), want), 0, 1e-5);
            }
        }
        finally
        {
            foreach (var d in stages.Cast<IDisposable>().Concat(caches)) d.Dispose();
        }
    }

    [Fact]
    public void AStageWithoutTheEmbeddingRefusesToEmbed()
    {
        var c = RandomModel.Config();
        using var stage = RandomModel.Load(c, ModelSlice.Full(c) with { LayerStart = 1, HasEmbedding = false });
        using var ids = tensor(new long[] { 1 });
        Assert.Throws<InvalidOperationException>(() => stage.Embed(ids));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VocabularySlicesOfTheHeadConcatenateToTheFullLogits(bool tied)
    {
        var c = RandomModel.Config() with { TieWordEmbeddings = tied };
        using var full = RandomModel.Load(c, ModelSlice.Full(c));
        int[] bounds = [0, 10, 11, 40, 64];
        var heads = bounds.Zip(bounds.Skip(1), (a, b) => RandomModel.Load(c, ModelSlice.Full(c) with
        {
            LayerStart = c.NumLayers - 1, HasEmbedding = a == 0, VocabStart = a, VocabEnd = b,
        })).ToArray();
        try
        {
            using var scope = NewDisposeScope();
            var x = randn(5, c.HiddenSize);
            var parts = heads.Select(h => h.Logits(x)).ToArray();
            Assert.InRange(Fixture.MaxAbsDiff(cat(parts, 1), full.Logits(x)), 0, 1e-5);
        }
        finally
        {
            foreach (var h in heads) h.Dispose();
        }
    }
}
