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

    /// <summary>Each layer's sliding window in tokens (0: every earlier key); empty when no layer has one.</summary>
    public IReadOnlyList<int> LayerWindows { get; init; } = [];
    /// <summary>Which RoPE table each layer rotates with (0 global, 1 local); empty when all are global.</summary>
    public IReadOnlyList<int> LayerRopes { get; init; } = [];
    /// <summary>The MLP's gated activation: silu, or gelu_pytorch_tanh.</summary>
    public string HiddenAct { get; init; } = "silu";

    public int GroupSize => NumHeads / NumKvHeads;

    internal long WindowOf(int layer) => LayerWindows.Count == 0 ? 0 : LayerWindows[layer];
    internal long RopeOf(int layer) => LayerRopes.Count == 0 ? 0 : LayerRopes[layer];
    internal long ActivationKind => HiddenAct == "silu" ? 0 : 1;

    /// <summary>The family that reads this checkpoint (Engine/Families).</summary>
    internal Families.IModelFamily Family => Families.ModelFamilies.For(Architecture);

    public static ModelConfig Load(string modelDir) => ConfigReader.Read(modelDir);

    /// <summary>A config for random weights of a given shape (benchmarks, tests).</summary>
    public static ModelConfig FromJson(string configJson, string? generationConfigJson = null) =>
        ConfigReader.Parse(configJson, generationConfigJson, "(inline config)");
}
