namespace OrleansLlm.Engine.Config;

/// <summary>
/// The shape and options of a checkpoint, read from its config.json: the keys every family shares (ConfigReader), then
/// its family's own (Engine/Families).
/// </summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required double RmsNormEps { get; init; }
    public required int MaxPositions { get; init; }
    public required RopeConfig Rope { get; init; }
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on q/k/v (Qwen2 always, Llama when attention_bias).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on o_proj (Llama with attention_bias; never Qwen2).</summary>
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public string TorchDtype { get; init; } = "float32";

    /// <summary>
    /// Each layer's sliding window in tokens (0: every earlier key); empty when no layer has one. A query at position p
    /// sees the keys at p - window + 1 .. p, as transformers' sliding-window mask does.
    /// </summary>
    public IReadOnlyList<int> LayerWindows { get; init; } = [];
    /// <summary>Which RoPE table each layer rotates with (0 global, 1 local); empty when all are global.</summary>
    public IReadOnlyList<int> LayerRopes { get; init; } = [];
    /// <summary>The RoPE of local layers (Gemma 3's sliding layers: their own base); null when every layer rotates alike.</summary>
    public RopeConfig? LocalRope { get; init; }
    /// <summary>The MLP's gated activation: silu, or gelu_pytorch_tanh.</summary>
    public string HiddenAct { get; init; } = "silu";
    /// <summary>What every RMSNorm weight is stored short of: Gemma's norms multiply by (1 + w), so 1; else 0.</summary>
    public double NormWeightOffset { get; init; }
    /// <summary>The embeddings' multiplier (Gemma: sqrt(hidden_size), rounded to the model's dtype as transformers does).</summary>
    public double EmbeddingScale { get; init; } = 1.0;
    /// <summary>The attention scores' multiplier; null: 1/sqrt(head_dim). Gemma: query_pre_attn_scalar^-1/2.</summary>
    public double? AttentionScale { get; init; }
    /// <summary>Gemma 2's soft cap on attention scores, cap·tanh(s/cap); 0: none.</summary>
    public double AttentionSoftcap { get; init; }
    /// <summary>Gemma 2's soft cap on the output logits; 0: none.</summary>
    public double FinalLogitSoftcap { get; init; }

    /// <summary>Mixture-of-experts routing (Mixtral, Qwen3-MoE); null for a dense model.</summary>
    public ExpertsConfig? Experts { get; init; }

    public int GroupSize => NumHeads / NumKvHeads;

    /// <summary>Whether <paramref name="layer"/>'s MLP routes over experts.</summary>
    public bool Routes(int layer) => Experts?.Routes(layer) ?? false;

    internal long WindowOf(int layer) => LayerWindows.Count == 0 ? 0 : LayerWindows[layer];
    /// <summary>The window of the sliding layers (they share one); 0 when none slides.</summary>
    public int SlidingWindow => LayerWindows.Count == 0 ? 0 : LayerWindows.Max();
    /// <summary>
    /// What the queries are multiplied by so that the kernels' own 1/sqrt(head_dim) gives <see cref="AttentionScale"/>:
    /// folded into the query weights (or their per-head norm) as they load.
    /// </summary>
    internal double QueryScaleRatio => AttentionScale is { } s ? s * Math.Sqrt(HeadDim) : 1.0;
    internal long RopeOf(int layer) => LayerRopes.Count == 0 ? 0 : LayerRopes[layer];
    internal long ActivationKind => HiddenAct == "silu" ? 0 : 1;

    /// <summary>The family that reads this checkpoint (Engine/Families).</summary>
    internal Families.IModelFamily Family => Families.ModelFamilies.For(Architecture);

    /// <summary>The family's name (llama, qwen3, gemma2...), as olm models lists it.</summary>
    public string FamilyName => Family.Name;

    public static ModelConfig Load(string modelDir) => ConfigReader.Read(modelDir);

    /// <summary>A config for random weights of a given shape (benchmarks, tests).</summary>
    public static ModelConfig FromJson(string configJson, string? generationConfigJson = null) =>
        ConfigReader.Parse(configJson, generationConfigJson, "(inline config)");
}
