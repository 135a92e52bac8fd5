using OrleansLlm.Engine.Model;
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
    public void TensorParallelPartialSumsEqualTheFullModel((int, int)[] kv, (int, int)[] ffn, bool bias)
    {
        var c = RandomModel.Config(bias: bias);
        using var full = RandomModel.Load(c, ModelSlice.Full(c));
        var shards = kv.Zip(ffn, (k, f) => RandomModel.Load(c, RandomModel.Slice(c, k, f))).ToArray();
        var caches = shards.Select(s => s.NewCache(16)).ToArray();
        using var fullCache = full.NewCache(16);
        try
        {
            foreach (var step in new[] { Prompt, [NextToken] })
            {
                using var scope = NewDisposeScope();
                var ids = tensor(step);
                var want = full.Logits(full.ForwardLayers(full.Embed(ids), fullCache));
                var got = full.Logits(TensorParallelForward(shards, caches, full.Embed(ids), full.Rope));
                Assert.InRange(Fixture.MaxAbsDiff(got, want), 0, 1e-5);
            }
        }
        finally
        {
            foreach (var d in shards.Cast<IDisposable>().Concat(caches)) d.Dispose();
        }
    }

    /// <summary>Two all-reduces per layer: after attention and after the MLP, as the tensor-parallel runtime does.</summary>
    private static Tensor TensorParallelForward(ShardModel[] shards, KvCache[] caches, Tensor x, RotaryEmbedding rope)
    {
        var start = caches[0].Length;
        var positions = arange(start, start + x.shape[0], ScalarType.Int64);
        var (cos, sin) = rope.Tables(positions, ScalarType.Float32);
        for (var l = 0; l < shards[0].Layers.Count; l++)
        {
            var attention = shards.Select((s, i) => s.Layers[l].Attention(x, caches[i][l], cos, sin, positions));
            x = x.add(stack(attention.ToArray()).sum(0L));
            var h = x;
            x = x.add(stack(shards.Select(s => s.Layers[l].Mlp(h)).ToArray()).sum(0L));
        }
        return x;
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
