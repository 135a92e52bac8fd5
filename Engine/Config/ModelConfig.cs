namespace OrleansLlm.Engine.Config;

/// <summary>The shape and options of a Llama-family checkpoint, read from its config.json.</summary>
public sealed record ModelConfig
{
    public static readonly IReadOnlySet<string> SupportedArchitectures =
        new HashSet<string> { "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM" };

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

    public int GroupSize => NumHeads / NumKvHeads;

    public static ModelConfig Load(string modelDir) => ConfigReader.Read(modelDir);

    /// <summary>A config for random weights of a given shape (benchmarks, tests).</summary>
    public static ModelConfig FromJson(string configJson, string? generationConfigJson = null) =>
        ConfigReader.Parse(configJson, generationConfigJson, "(inline config)");
}
