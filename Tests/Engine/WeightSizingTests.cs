using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>The bytes the planner books for a slice are the bytes a loaded shard of that slice really holds.</summary>
public class WeightSizingTests
{
    public static TheoryData<string, string> Slices => new()
    {
        { "llama-tiny", "full" }, { "qwen2-tiny", "full" },
        { "llama-tiny", "first stage" }, { "llama-tiny", "last stage" }, { "qwen2-tiny", "last stage" },
        { "llama-tiny", "tensor rank 1 of 2" }, { "qwen2-tiny", "tensor rank 0 of 2" }, { "qwen2-tiny", "tensor rank 1 of 2" },
        { "random tied", "head without embedding" }, { "random tied", "tensor rank 0 with head rows" },
        { "random biased", "tensor rank 1 of 2" },
    };

    [Theory, MemberData(nameof(Slices))]
    public void PlannedBytesEqualLoadedBytes(string model, string cut)
    {
        var (config, load) = Model(model);
        var slice = Cut(config, cut);
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var shard = load(slice, dtype);
            Assert.Equal(shard.WeightBytes, ModelSizing.WeightBytes(config, slice, dtype));
        }
    }

    private static (ModelConfig, Func<ModelSlice, ScalarType, ShardModel>) Model(string name)
    {
        if (name.StartsWith("random", StringComparison.Ordinal))
        {
            var c = RandomModel.Config(bias: name.EndsWith("biased")) with { TieWordEmbeddings = name.EndsWith("tied") };
            return (c, (s, d) => ShardModel.Load(c, s, new ShardOptions { DType = d }, new OrleansLlm.Engine.Checkpoints.RandomWeights(seed: 3)));
        }
        var f = new Fixture(name);
        return (f.Config, (s, d) => f.LoadModel(s, d));
    }

    private static ModelSlice Cut(ModelConfig c, string cut)
    {
        var full = ModelSlice.Full(c);
        var halfKv = c.NumKvHeads / 2;
        var halfFfn = c.IntermediateSize / 2;
        var halfVocab = c.VocabSize / 2;
        return cut switch
        {
            "full" => full,
            "first stage" => full with { LayerEnd = 1, HasHead = false },
            "last stage" => full with { LayerStart = 1, HasEmbedding = false },
            "head without embedding" => full with { LayerStart = 1, HasEmbedding = false, VocabStart = halfVocab, VocabEnd = c.VocabSize },
            "tensor rank 0 with head rows" => full with { KvHeadEnd = halfKv, FfnEnd = halfFfn, VocabStart = 0, VocabEnd = halfVocab },
            "tensor rank 0 of 2" => full with { KvHeadEnd = halfKv, FfnEnd = halfFfn, VocabStart = 0, VocabEnd = halfVocab },
            "tensor rank 1 of 2" => full with { KvHeadStart = halfKv, FfnStart = halfFfn, HasEmbedding = false, VocabStart = halfVocab, VocabEnd = c.VocabSize },
            _ => throw new ArgumentException(cut),
        };
    }
}
