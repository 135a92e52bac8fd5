using OrleansLlm.Engine.Config;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// The registry of model families: an <c>architectures</c> entry names its family; an entry no family serves is refused
/// in one line that lists what is served. Adding a family is one file here (docs/ARCHITECTURE.md).
/// </summary>
public static class ModelFamilies
{
    private static readonly IModelFamily[] All = [new Llama(), new Qwen2(), new Qwen3(), new Mistral(), new Phi3(), new Gemma2(), new Gemma3(), new Mixtral(), new Qwen3Moe()];

    /// <summary>What olm serves: each family with its architectures and examples.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<string> Architectures, string Examples)> Supported =>
        All.Select(f => (f.Name, f.Architectures, f.Examples)).ToList();

    public static IEnumerable<string> Architectures => All.SelectMany(f => f.Architectures);

    internal static IModelFamily For(string architecture) =>
        All.FirstOrDefault(f => f.Architectures.Contains(architecture))
        ?? throw new ModelConfigException($"unsupported architecture '{architecture}' (supported: {string.Join(", ", Architectures)})");
}
