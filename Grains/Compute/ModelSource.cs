using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Quantization;
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

    /// <summary>
    /// Weights a shard's weight window reads again every step, for as long as the shard lives: a folder through positioned
    /// reads (no memory map whose pages would stay in the process), random weights as they are.
    /// </summary>
    public static IWeightSource StreamedWeights(string model, ScalarType dtype, string device) =>
        ModelName.IsShape(model)
            ? new RandomWeights(seed: 0, dtype, device)
            : StreamingCheckpoint.Open(model);

    /// <summary>
    /// How a shard holds its weights, in the engine's terms (the window is the one planned for it); static int8 takes its
    /// calibration ids from the settings' text (or the built-in one) through the model's tokenizer.
    /// </summary>
    public static ShardOptions Options(string model, ModelConfig config, string device, ScalarType dtype, WeightSettings? weights,
        SparsitySettings? sparsity = null) => new()
    {
        Device = device, DType = dtype, Window = weights?.MemoryWindow ?? 0,
        Sparsity = sparsity is null || sparsity.IsOff ? null : new Engine.Sparsity.SparsityOptions
        {
            Sparsity = sparsity.Sparsity,
            Recall = sparsity.Recall,
            Mode = sparsity.ChoiceFor(model) switch
            {
                SparsityChoice.Learned => Engine.Sparsity.SparsityMode.Learned,
                SparsityChoice.Threshold => Engine.Sparsity.SparsityMode.Threshold,
                SparsityChoice.Random => Engine.Sparsity.SparsityMode.Random,
                _ => Engine.Sparsity.SparsityMode.Fixed,
            },
            ModelDir = ModelName.IsShape(model) ? null : model,
        },
        Int8 = weights is null || weights.Quantize == Quantization.None ? null : new Int8Options
        {
            Threshold = weights.Int8Threshold,
            Static = !weights.Static ? null : new StaticInt8
            {
                CalibrationIds = CalibrationText.Ids(ModelName.IsShape(model) ? null : model, weights.CalibrationText, config.VocabSize, config.MaxPositions),
                Shadows = weights.ShadowOutliers,
            },
        },
    };

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
