using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sparsity;

/// <summary>What <c>sparsity.json</c> says: the model the predictors were trained on, their shapes, and the thresholds.</summary>
public sealed record SparsityHeader
{
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    /// <summary>The model's fingerprint (<see cref="ModelFingerprint"/>): its shape and some of its weights' bytes.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("layers")] public required int Layers { get; init; }
    [JsonPropertyName("hidden")] public required int Hidden { get; init; }
    [JsonPropertyName("intermediate")] public required int Intermediate { get; init; }
    [JsonPropertyName("heads")] public required int Heads { get; init; }
    [JsonPropertyName("rank")] public required int Rank { get; init; }
    /// <summary>Each layer's predictors read the input of the layer before (layer 0: its own).</summary>
    [JsonPropertyName("lookahead")] public bool Lookahead { get; init; } = true;
    /// <summary>Sparsities the thresholds are given at (ascending).</summary>
    [JsonPropertyName("levels")] public required double[] Levels { get; init; }
    /// <summary>[layer][level]: |SiLU(gate)| below which that share of the calibration tokens' neurons falls.</summary>
    [JsonPropertyName("mlp_thresholds")] public required double[][] MlpThresholds { get; init; }
    /// <summary>[layer][level]: head output norm below which that share of the calibration tokens' heads falls.</summary>
    [JsonPropertyName("head_thresholds")] public required double[][] HeadThresholds { get; init; }
    /// <summary>[layer]: held-out recall at 50% of the MLP and head predictors, as printed by olm sparsify.</summary>
    [JsonPropertyName("mlp_recall")] public double[] MlpRecall { get; init; } = [];
    [JsonPropertyName("head_recall")] public double[] HeadRecall { get; init; } = [];
    /// <summary>[layer][level]: held-out recall of the MLP and head predictors at each of <see cref="Levels"/>.</summary>
    [JsonPropertyName("mlp_recall_levels")] public double[][] MlpRecallByLevel { get; init; } = [];
    [JsonPropertyName("head_recall_levels")] public double[][] HeadRecallByLevel { get; init; } = [];
    [JsonPropertyName("calibration_tokens")] public int CalibrationTokens { get; init; }

    /// <summary>
    /// A recall target's sparsity: the largest of <see cref="Levels"/> at which every layer's MLP and head predictors
    /// keep at least <paramref name="recall"/> of each token's true top choices on held-out text; one line when none does.
    /// </summary>
    public double SparsityFor(double recall, string modelDir)
    {
        if (MlpRecallByLevel.Length != Layers || HeadRecallByLevel.Length != Layers)
            throw new ArgumentException($"the sparsity predictors of {modelDir} hold no recall by sparsity (an older olm sparsify): run it again for --sparsity-recall");
        double Worst(int level) => Enumerable.Range(0, Layers).Min(l => Math.Min(MlpRecallByLevel[l][level], HeadRecallByLevel[l][level]));
        var kept = Enumerable.Range(0, Levels.Length).Where(i => Worst(i) >= recall).ToArray();
        if (kept.Length == 0)
            throw new ArgumentException($"no sparsity keeps a held-out recall of {recall:P1} with the predictors of {modelDir} (at {Levels[0]:P0} the worst layer recalls {Worst(0):P1})");
        return Levels[kept.Max()];
    }
}

/// <summary>
/// A model's sparsity predictors and thresholds, next to it: <c>sparsity.json</c> (the header) and
/// <c>sparsity.safetensors</c> (float32, per layer: <c>layers.L.mlp.down</c> [r, h], <c>layers.L.mlp.up</c> [F, r],
/// <c>layers.L.heads.down</c> [r, h], <c>layers.L.heads.up</c> [Hq, r]). A file of another model or shape is refused.
/// </summary>
public sealed class SparsityFile : IDisposable
{
    public const string JsonName = "sparsity.json";
    public const string TensorsName = "sparsity.safetensors";

    public SparsityHeader Header { get; }
    /// <summary>4 a layer on the CPU: mlp down, mlp up, heads down, heads up.</summary>
    public Tensor[] Predictors { get; }

    public SparsityFile(SparsityHeader header, Tensor[] predictors)
    {
        Header = header;
        Predictors = predictors;
    }

    public static bool Exists(string modelDir) => System.IO.File.Exists(Path.Combine(modelDir, JsonName));

    /// <summary>Reads the model folder's file and checks it belongs to this model; one line when it does not.</summary>
    public static SparsityFile Load(string modelDir, ModelConfig config)
    {
        var json = Path.Combine(modelDir, JsonName);
        if (!System.IO.File.Exists(json))
            throw new ArgumentException($"no sparsity predictors in {modelDir}: run olm sparsify --model {modelDir} --text FILE first");
        SparsityHeader header;
        try { header = JsonSerializer.Deserialize<SparsityHeader>(System.IO.File.ReadAllText(json)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new ArgumentException($"corrupt {json}: {e.Message.Split('\n')[0]}"); }
        Check(header, config, ModelFingerprint.Of(modelDir, config), json);
        using var file = new SafeTensorsFile(Path.Combine(modelDir, TensorsName));
        var tensors = new List<Tensor>();
        try
        {
            for (var l = 0; l < header.Layers; l++)
                foreach (var name in Names(l))
                    tensors.Add(file.Read(name).to(ScalarType.Float32).DetachFromDisposeScope());
        }
        catch (CheckpointException e)
        {
            foreach (var t in tensors) t.Dispose();
            throw new ArgumentException($"sparsity predictors of {modelDir}: {e.Message}");
        }
        return new SparsityFile(header, [.. tensors]);
    }

    /// <summary>Refuses a header of another model, shape or format, in one line.</summary>
    public static void Check(SparsityHeader h, ModelConfig c, string fingerprint, string where)
    {
        if (h.Format != SparsityHeader.CurrentFormat)
            throw new ArgumentException($"{where} is sparsity format {h.Format}; this olm reads {SparsityHeader.CurrentFormat}: run olm sparsify again");
        if (h.Layers != c.NumLayers || h.Hidden != c.HiddenSize || h.Intermediate != c.IntermediateSize || h.Heads != c.NumHeads)
            throw new ArgumentException($"{where} was made for another shape ({h.Layers} layers, hidden {h.Hidden}, FFN {h.Intermediate}, {h.Heads} heads); " +
                $"this model has {c.NumLayers}, {c.HiddenSize}, {c.IntermediateSize}, {c.NumHeads}: run olm sparsify on it");
        if (h.Model != fingerprint)
            throw new ArgumentException($"{where} was made for another model (fingerprint {h.Model}, this one is {fingerprint}): run olm sparsify on it");
    }

    public static string[] Names(int layer) =>
        [$"layers.{layer}.mlp.down", $"layers.{layer}.mlp.up", $"layers.{layer}.heads.down", $"layers.{layer}.heads.up"];

    public void Save(string modelDir)
    {
        var named = Enumerable.Range(0, Header.Layers).SelectMany(Names).Zip(Predictors).ToList();
        WriteSafeTensors(Path.Combine(modelDir, TensorsName), named);
        System.IO.File.WriteAllText(Path.Combine(modelDir, JsonName),
            JsonSerializer.Serialize(Header, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>A layer's thresholds (MLP |SiLU(gate)|, head norm) for a sparsity, interpolated between the levels.</summary>
    public (double Mlp, double Heads) Thresholds(int layer, double sparsity) =>
        (Interpolate(Header.Levels, Header.MlpThresholds[layer], sparsity), Interpolate(Header.Levels, Header.HeadThresholds[layer], sparsity));

    internal static double Interpolate(double[] levels, double[] values, double at)
    {
        if (at <= levels[0]) return values[0];
        for (var i = 1; i < levels.Length; i++)
            if (at <= levels[i])
                return values[i - 1] + (values[i] - values[i - 1]) * (at - levels[i - 1]) / (levels[i] - levels[i - 1]);
        return values[^1];
    }

    /// <summary>float32 tensors as one .safetensors file.</summary>
    internal static void WriteSafeTensors(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        var data = tensors.Select(t => (t.Name, Tensor: t.Tensor.to(ScalarType.Float32).cpu().contiguous())).ToList();
        foreach (var (name, t) in data)
        {
            var bytes = t.NumberOfElements * 4;
            header[name] = new { dtype = "F32", shape = t.shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = new FileStream(path + ".partial", FileMode.Create, FileAccess.Write);
        file.Write(BitConverter.GetBytes((long)headerBytes.Length));
        file.Write(headerBytes);
        foreach (var (_, t) in data)
            using (t) file.Write(t.bytes);
        file.Close();
        System.IO.File.Move(path + ".partial", path, overwrite: true);
    }

    public void Dispose()
    {
        foreach (var t in Predictors) t.Dispose();
    }
}

/// <summary>
/// Which model a sparsity file belongs to: its shape and the bytes of the first rows of layer 0's gate projection
/// (another checkpoint of the same shape differs there), FNV-1a 64.
/// </summary>
public static class ModelFingerprint
{
    public static string Of(string modelDir, ModelConfig c)
    {
        using var checkpoint = Checkpoint.Open(modelDir);
        using var rows = checkpoint.Read("model.layers.0.mlp.gate_proj.weight", [c.IntermediateSize, c.HiddenSize],
            new Range(0, Math.Min(16, c.IntermediateSize)));
        var shape = $"{c.NumLayers}|{c.HiddenSize}|{c.IntermediateSize}|{c.NumHeads}|{c.NumKvHeads}|{c.HeadDim}|{c.VocabSize}";
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(shape).Concat(rows.bytes.ToArray()))
            hash = (hash ^ b) * 1099511628211UL;
        return hash.ToString("x16");
    }
}
