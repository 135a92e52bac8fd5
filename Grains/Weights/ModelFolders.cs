using System.Collections.Concurrent;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Grains.Weights;

/// <summary>
/// Where this silo reads a deployment's model from: its folder under the model directory, or, for a model only
/// another silo has, a local mirror of the folder's small files (config, tokenizer, chat template) with the weights
/// read from that silo (<see cref="PeerWeightSource"/>). One per silo.
/// </summary>
public sealed class ModelFolders(OlmSiloOptions options, IGrainFactory grains)
{
    /// <summary>Files a silo without the folder copies from one that has it (the weights stay there).</summary>
    public static readonly string[] SmallFiles =
        ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json"];

    private readonly ConcurrentDictionary<string, (string Dir, string Peer)> _mirrors = new();

    /// <summary>A model name as this silo reads it: a shape, its own folder, or the mirror of a peer's.</summary>
    public string Resolve(string model)
    {
        var local = options.ResolveModel(model);
        return !HasLocal(local) && _mirrors.TryGetValue(model, out var m) ? m.Dir : local;
    }

    /// <summary>The silo a model's weights come from, when this silo has only a mirror of its folder.</summary>
    public string? PeerOf(string model)
    {
        var local = options.ResolveModel(model);
        return !HasLocal(local) && _mirrors.TryGetValue(model, out var m) ? m.Peer : null;
    }

    /// <summary>Whether this silo has the model itself (a shape, or a folder with its config and weights).</summary>
    public bool HasLocal(string resolved) =>
        ModelName.IsShape(resolved) || (File.Exists(Path.Combine(resolved, "config.json"))
            && (File.Exists(Path.Combine(resolved, "model.safetensors")) || File.Exists(Path.Combine(resolved, "model.safetensors.index.json"))));

    public string Local(string model) => options.ResolveModel(model);

    /// <summary>
    /// The model's weights read from the silo that has its folder, or null when this silo has it. The silo's own grain
    /// factory: reads run on device and loader threads, outside any grain's turn.
    /// </summary>
    public PeerWeightSource? PeerWeights(string model) =>
        PeerOf(model) is { } peer ? new PeerWeightSource(grains, peer, model, options.WeightPieceBytes) : null;

    /// <summary>Records a mirror of a peer's folder written to <paramref name="dir"/>.</summary>
    public void AddMirror(string model, string dir, string peer) => _mirrors[model] = (dir, peer);

    /// <summary>A folder for a model's mirror on this silo, named by the model and the silo it came from.</summary>
    public static string MirrorDir(string model, string peer)
    {
        var hash = (model + "|" + peer).Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u);
        return Path.Combine(Path.GetTempPath(), "olm-model-mirrors", $"{ModelName.Short(model)}-{hash:x8}");
    }
}
