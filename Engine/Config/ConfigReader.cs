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
            Rope = ReadRope(c, GlobalRopeParameters(c)),
            LocalRope = ReadLocalRope(c),
            HiddenAct = c.StringOr("hidden_act", null) ?? c.StringOr("hidden_activation", "silu")!,
            LayerWindows = ReadWindows(c, c.Int("num_hidden_layers")),
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

    // transformers 5 nests the RoPE settings in rope_parameters (per layer type where layers differ: Gemma 3's
    // full_attention and sliding_attention); older configs keep rope_theta at the top level, the scaling in
    // rope_scaling, and Gemma 3's local base in rope_local_base_freq.
    private static JsonConfig? GlobalRopeParameters(JsonConfig c) =>
        c.Object("rope_parameters") is { } p ? p.Object("full_attention") ?? p : c.Object("rope_scaling");

    private static RopeConfig? ReadLocalRope(JsonConfig c) =>
        c.Object("rope_parameters")?.Object("sliding_attention") is { } local ? ReadRope(c, local)
        : c.Has("rope_local_base_freq") ? new RopeConfig { Theta = c.Double("rope_local_base_freq") }
        : null;

    private static RopeConfig ReadRope(JsonConfig c, JsonConfig? p)
    {
        var theta = p?.DoubleOr("rope_theta", double.NaN) is { } t && !double.IsNaN(t) ? t : c.DoubleOr("rope_theta", 10000.0);
        var type = p?.StringOr("rope_type", null) ?? p?.StringOr("type", null) ?? "default";
        if (!RopeConfig.SupportedTypes.Contains(type))
            throw new ModelConfigException(
                $"unsupported rope type '{type}' (supported: {string.Join(", ", RopeConfig.SupportedTypes)})");
        var partial = p?.DoubleOr("partial_rotary_factor", 1.0) ?? c.DoubleOr("partial_rotary_factor", 1.0);
        if (partial != 1.0)
            throw new ModelConfigException($"unsupported partial_rotary_factor {partial} (only 1.0)");
        var longRope = type is "longrope" or "su";
        var original = p?.IntOr("original_max_position_embeddings", 0) is > 0 and var o ? o
            : c.IntOr("original_max_position_embeddings", longRope ? c.Int("max_position_embeddings") : 8192);
        var rope = new RopeConfig
        {
            Theta = theta,
            Type = longRope ? "longrope" : type,
            Factor = p?.DoubleOr("factor", 1.0) ?? 1.0,
            LowFreqFactor = p?.DoubleOr("low_freq_factor", 1.0) ?? 1.0,
            HighFreqFactor = p?.DoubleOr("high_freq_factor", 4.0) ?? 4.0,
            OriginalMaxPositions = original,
            ShortFactor = p?.DoubleArray("short_factor") ?? [],
            LongFactor = p?.DoubleArray("long_factor") ?? [],
            AttentionFactor = p is not null && p.Has("attention_factor") ? p.Double("attention_factor") : null,
        };
        if (longRope && (rope.ShortFactor.Count == 0 || rope.ShortFactor.Count != rope.LongFactor.Count))
            throw new ModelConfigException($"{c.Source}: longrope needs short_factor and long_factor of one length (head_dim / 2)");
        return rope;
    }

    /// <summary>Windows from layer_types (transformers 5 writes them) and sliding_window; families without layer_types set their own.</summary>
    private static IReadOnlyList<int> ReadWindows(JsonConfig c, int layers)
    {
        var types = c.StringArray("layer_types");
        if (types.Length == 0) return [];
        if (types.Length != layers)
            throw new ModelConfigException($"{c.Source}: layer_types has {types.Length} entries for {layers} layers");
        foreach (var t in types)
            if (t is not ("full_attention" or "sliding_attention"))
                throw new ModelConfigException($"unsupported layer type '{t}' (supported: full_attention, sliding_attention)");
        var window = c.IntOr("sliding_window", 0);
        if (types.Contains("sliding_attention") && window <= 0)
            throw new ModelConfigException($"{c.Source}: sliding_attention layers need a positive sliding_window");
        return types.All(t => t == "full_attention") ? [] : types.Select(t => t == "sliding_attention" ? window : 0).ToArray();
    }

    private static void Validate(ModelConfig m, JsonConfig c)
    {
        if (m.HiddenAct is not ("silu" or "gelu_pytorch_tanh"))
            throw new ModelConfigException($"unsupported hidden_act '{m.HiddenAct}' (supported: silu, gelu_pytorch_tanh)");
        foreach (var (name, value) in new[] {
            ("vocab_size", m.VocabSize), ("hidden_size", m.HiddenSize), ("intermediate_size", m.IntermediateSize),
            ("num_hidden_layers", m.NumLayers), ("num_attention_heads", m.NumHeads),
            ("num_key_value_heads", m.NumKvHeads), ("head_dim", m.HeadDim), ("max_position_embeddings", m.MaxPositions) })
            if (value <= 0) throw new ModelConfigException($"{c.Source}: {name} must be positive, got {value}");
        if (m.NumHeads % m.NumKvHeads != 0)
            throw new ModelConfigException(
                $"num_attention_heads {m.NumHeads} is not a multiple of num_key_value_heads {m.NumKvHeads}");
        if (m.HeadDim % 2 != 0) throw new ModelConfigException($"head_dim {m.HeadDim} must be even for RoPE");
        if (m.LayerWindows.Where(w => w > 0).Distinct().Count() > 1)
            throw new ModelConfigException($"{c.Source}: sliding layers with different windows are not supported");
        if (m.Rope.IsLongRope && m.Rope.ShortFactor.Count != m.HeadDim / 2)
            throw new ModelConfigException($"{c.Source}: longrope factors have {m.Rope.ShortFactor.Count} entries, head_dim / 2 is {m.HeadDim / 2}");
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
