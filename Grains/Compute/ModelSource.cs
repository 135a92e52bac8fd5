using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Compute;

/// <summary>Resolves a deployment's model name: a folder the silos can read, or <c>shape:NAME</c> for random weights.</summary>
public static class ModelSource
{
    public static ModelConfig Config(string model) =>
        ModelName.IsShape(model) ? ModelShapes.Get(ModelName.ShapeOf(model)) : ModelConfig.Load(model);

    /// <summary>Weights to read a slice from; dispose it after loading.</summary>
    public static IWeightSource Weights(string model, ScalarType dtype, string device) =>
        ModelName.IsShape(model)
            ? new RandomWeights(seed: 0, dtype, device)
            : Checkpoint.Open(model);

    public static ModelSlice ToSlice(SliceSpec s) => new()
    {
        LayerStart = s.LayerStart, LayerEnd = s.LayerEnd, KvHeadStart = s.KvHeadStart, KvHeadEnd = s.KvHeadEnd,
        FfnStart = s.FfnStart, FfnEnd = s.FfnEnd, HasEmbedding = s.HasEmbedding, HasHead = s.HasHead,
        VocabStart = s.VocabStart, VocabEnd = s.VocabEnd,
    };

    public static SliceSpec ToSpec(ModelSlice s) =>
        new(s.LayerStart, s.LayerEnd, s.KvHeadStart, s.KvHeadEnd, s.FfnStart, s.FfnEnd, s.HasEmbedding, s.HasHead,
            s.VocabStart, s.VocabEnd);
}
