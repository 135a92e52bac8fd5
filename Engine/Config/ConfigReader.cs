using System.Text.Json;

namespace OrleansLlm.Engine.Config;

/// <summary>Parses config.json (+ generation_config.json) in both the classic and the transformers 5 style.</summary>
internal static class ConfigReader
{
    public static ModelConfig Read(string modelDir)
    {
        if (!Directory.Exists(modelDir))
            throw new ModelConfigException($"model directory not found: {modelDir}");
        var configPath = Path.Combine(modelDir, "config.json");
        if (!File.Exists(configPath))
            throw new ModelConfigException($"config.json not found in {modelDir}");
        var genPath = Path.Combine(modelDir, "generation_config.json");
        var gen = File.Exists(genPath) ? File.ReadAllText(genPath) : null;
        return Parse(File.ReadAllText(configPath), gen, configPath);
    }

    public static ModelConfig Parse(string json, string? generationJson, string source)
    {
        JsonElement root, gen = default;
        try
        {
            root = JsonDocument.Parse(json).RootElement;
            if (generationJson is not null) gen = JsonDocument.Parse(generationJson).RootElement;
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"{source} is not valid JSON: {e.Message}");
        }
        var c = new JsonConfig(root, source);
        var architecture = ReadArchitecture(c);
        var heads = c.Int("num_attention_heads");
        var hidden = c.Int("hidden_size");
        var config = new ModelConfig
        {
            Architecture = architecture,
            VocabSize = c.Int("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = c.Int("intermediate_size"),
            NumLayers = c.Int("num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = c.IntOr("num_key_value_heads", heads),
            HeadDim = c.IntOr("head_dim", heads > 0 ? hidden / heads : 0),
            RmsNormEps = c.Double("rms_norm_eps"),
            MaxPositions = c.Int("max_position_embeddings"),
            Rope = ReadRope(c),
            TieWordEmbeddings = c.BoolOr("tie_word_embeddings", false),
            BosTokenId = FirstId(gen, "bos_token_id") ?? FirstId(root, "bos_token_id"),
            EosTokenIds = EosIds(root, gen),
            TorchDtype = c.StringOr("torch_dtype", null) ?? c.StringOr("dtype", "float32")!,
        };
        Validate(config, c);
        return Families.ModelFamilies.For(architecture).Configure(config, c);
    }

    private static string ReadArchitecture(JsonConfig c)
    {
        var archs = c.StringArray("architectures");
        if (archs.Length != 1)
            throw new ModelConfigException($"{c.Source}: expected one entry in 'architectures', found {archs.Length}");
        Families.ModelFamilies.For(archs[0]);
        return archs[0];
    }

    private static RopeConfig ReadRope(JsonConfig c)
    {
        // transformers 5 nests everything in rope_parameters; older configs keep rope_theta at the top level and the
        // scaling in rope_scaling.
        var p = c.Object("rope_parameters") ?? c.Object("rope_scaling");
        var theta = p?.DoubleOr("rope_theta", double.NaN) is { } t && !double.IsNaN(t) ? t : c.DoubleOr("rope_theta", 10000.0);
        var type = p?.StringOr("rope_type", null) ?? p?.StringOr("type", null) ?? "default";
        if (!RopeConfig.SupportedTypes.Contains(type))
            throw new ModelConfigException(
                $"unsupported rope type '{type}' (supported: {string.Join(", ", RopeConfig.SupportedTypes)})");
        var partial = p?.DoubleOr("partial_rotary_factor", 1.0) ?? c.DoubleOr("partial_rotary_factor", 1.0);
        if (partial != 1.0)
            throw new ModelConfigException($"unsupported partial_rotary_factor {partial} (only 1.0)");
        return new RopeConfig
        {
            Theta = theta,
            Type = type,
            Factor = p?.DoubleOr("factor", 1.0) ?? 1.0,
            LowFreqFactor = p?.DoubleOr("low_freq_factor", 1.0) ?? 1.0,
            HighFreqFactor = p?.DoubleOr("high_freq_factor", 4.0) ?? 4.0,
            OriginalMaxPositions = p?.IntOr("original_max_position_embeddings", 8192) ?? 8192,
        };
    }

    private static void Validate(ModelConfig m, JsonConfig c)
    {
        var act = c.StringOr("hidden_act", "silu");
        if (act != "silu")
            throw new ModelConfigException($"unsupported hidden_act '{act}' (only silu)");
        foreach (var (name, value) in new[] {
            ("vocab_size", m.VocabSize), ("hidden_size", m.HiddenSize), ("intermediate_size", m.IntermediateSize),
            ("num_hidden_layers", m.NumLayers), ("num_attention_heads", m.NumHeads),
            ("num_key_value_heads", m.NumKvHeads), ("head_dim", m.HeadDim), ("max_position_embeddings", m.MaxPositions) })
            if (value <= 0) throw new ModelConfigException($"{c.Source}: {name} must be positive, got {value}");
        if (m.NumHeads % m.NumKvHeads != 0)
            throw new ModelConfigException(
                $"num_attention_heads {m.NumHeads} is not a multiple of num_key_value_heads {m.NumKvHeads}");
        if (m.HeadDim % 2 != 0) throw new ModelConfigException($"head_dim {m.HeadDim} must be even for RoPE");
        foreach (var layerType in c.StringArray("layer_types"))
            if (layerType != "full_attention")
                throw new ModelConfigException($"unsupported layer type '{layerType}' (only full_attention)");
        if (m.Rope.Type == "llama3" && m.Rope.HighFreqFactor <= m.Rope.LowFreqFactor)
            throw new ModelConfigException("llama3 rope: high_freq_factor must exceed low_freq_factor");
    }

    private static int? FirstId(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.Number => v.GetInt32(),
                JsonValueKind.Array when v.GetArrayLength() > 0 => v[0].GetInt32(),
                _ => null,
            }
            : null;

    private static IReadOnlyList<int> EosIds(JsonElement config, JsonElement gen)
    {
        var ids = new SortedSet<int>();
        foreach (var e in new[] { config, gen })
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("eos_token_id", out var v)) continue;
            if (v.ValueKind == JsonValueKind.Number) ids.Add(v.GetInt32());
            else if (v.ValueKind == JsonValueKind.Array)
                foreach (var x in v.EnumerateArray()) ids.Add(x.GetInt32());
        }
        return ids.ToArray();
    }
}
