using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Tokenization;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sparsity;

/// <summary>
/// olm sparsify's work: the dense model over a calibration text, each layer's predictors trained on what it did (one
/// layer ahead), their recall on held-out text, and the threshold tables; written next to the model.
/// </summary>
public static class Sparsifier
{
    public sealed record Options
    {
        public required string ModelDir { get; init; }
        public required string Text { get; init; }
        /// <summary>Held-out text for the recall; null holds out the calibration text's last fifth.</summary>
        public string? Holdout { get; init; }
        public int Rank { get; init; }
        public int Steps { get; init; } = 400;
        /// <summary>Tokens a window (one causal sequence) holds at most.</summary>
        public int Window { get; init; } = 256;
        public int MaxTokens { get; init; } = 16384;
    }

    public sealed record LayerReport(int Layer, double MlpRecall, double HeadRecall);

    public static SparsityHeader Run(Options o, TextWriter log)
    {
        var config = ModelConfig.Load(o.ModelDir);
        var tokenizer = HfTokenizer.Load(o.ModelDir);
        var window = Math.Min(o.Window, config.MaxPositions);
        var train = Windows(tokenizer.Encode(o.Text), window, o.MaxTokens);
        var held = o.Holdout is null ? null : Windows(tokenizer.Encode(o.Holdout), window, o.MaxTokens);
        if (held is null)
        {
            if (train.Count < 2) throw new ArgumentException($"the calibration text is {train.Sum(w => w.Length)} tokens: give more, or --holdout FILE");
            var cut = Math.Max(1, train.Count / 5);
            held = train.Skip(train.Count - cut).ToList();
            train = train.Take(train.Count - cut).ToList();
        }
        var rank = o.Rank > 0 ? o.Rank : Math.Min(128, Math.Max(8, config.HiddenSize / 2));
        log.WriteLine($"calibration: {train.Sum(w => w.Length)} tokens in {train.Count} windows, held out {held.Sum(w => w.Length)}; rank {rank}, {o.Steps} Adam steps a predictor");
        using var checkpoint = Checkpoint.Open(o.ModelDir);
        using var model = ShardModel.Load(config, ModelSlice.Full(config), new ShardOptions(), checkpoint);
        var fit = SparsityCalibration.Collect(model, train);
        var test = SparsityCalibration.Collect(model, held);
        try
        {
            return Train(o, config, rank, fit, test, log);
        }
        finally
        {
            foreach (var s in fit.Concat(test)) s.Dispose();
        }
    }

    private static SparsityHeader Train(Options o, ModelConfig config, int rank, LayerSamples[] fit, LayerSamples[] test, TextWriter log)
    {
        var predictors = new List<Tensor>();
        var (mlpRecall, headRecall) = (new double[config.NumLayers], new double[config.NumLayers]);
        var (mlpByLevel, headByLevel) = (new double[config.NumLayers][], new double[config.NumLayers][]);
        var settings = new PredictorTraining.Settings(rank, o.Steps);
        for (var l = 0; l < config.NumLayers; l++)
        {
            var source = Math.Max(0, l - 1); // lookahead: the input of the layer before
            var (md, mu) = PredictorTraining.Train(fit[source].Inputs, fit[l].Neurons, settings);
            var (hd, hu) = PredictorTraining.Train(fit[source].Inputs, fit[l].Heads, settings);
            mlpRecall[l] = PredictorTraining.Recall(md, mu, test[source].Inputs, test[l].Neurons, 0.5);
            headRecall[l] = PredictorTraining.Recall(hd, hu, test[source].Inputs, test[l].Heads, 0.5);
            mlpByLevel[l] = SparsityCalibration.Levels.Select(s => PredictorTraining.Recall(md, mu, test[source].Inputs, test[l].Neurons, s)).ToArray();
            headByLevel[l] = SparsityCalibration.Levels.Select(s => PredictorTraining.Recall(hd, hu, test[source].Inputs, test[l].Heads, s)).ToArray();
            predictors.AddRange([md, mu, hd, hu]);
            log.WriteLine($"layer {l}/{config.NumLayers}: held-out recall at 50% sparsity: MLP neurons {mlpRecall[l]:P1}, heads {headRecall[l]:P1} (a random choice: 50%)");
        }
        var header = new SparsityHeader
        {
            Model = ModelFingerprint.Of(o.ModelDir, config), Layers = config.NumLayers, Hidden = config.HiddenSize,
            Intermediate = config.IntermediateSize, Heads = config.NumHeads, Rank = rank, Levels = SparsityCalibration.Levels,
            MlpThresholds = fit.Select(s => SparsityCalibration.Quantiles(s.Gates)).ToArray(),
            HeadThresholds = fit.Select(s => SparsityCalibration.Quantiles(s.Heads)).ToArray(),
            MlpRecall = mlpRecall, HeadRecall = headRecall, MlpRecallByLevel = mlpByLevel, HeadRecallByLevel = headByLevel,
            CalibrationTokens = (int)fit[0].Inputs.shape[0],
        };
        using var file = new SparsityFile(header, [.. predictors]);
        file.Save(o.ModelDir);
        log.WriteLine($"wrote {SparsityFile.JsonName} and {SparsityFile.TensorsName} in {o.ModelDir}");
        return header;
    }

    /// <summary>The ids cut into windows of at most <paramref name="size"/> tokens (each a sequence of its own), up to a total.</summary>
    private static List<int[]> Windows(int[] ids, int size, int maxTokens) =>
        ids.Take(maxTokens).Chunk(size).Where(w => w.Length >= 2).ToList();
}
