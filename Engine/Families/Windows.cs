using OrleansLlm.Engine.Config;

namespace OrleansLlm.Engine.Families;

/// <summary>Sliding-window attention for configs that predate layer_types (transformers 5 writes it; ConfigReader reads it).</summary>
internal static class Windows
{
    /// <summary>Mistral: every layer slides when sliding_window is set.</summary>
    public static ModelConfig EveryLayer(ModelConfig c, JsonConfig json)
    {
        var window = json.IntOr("sliding_window", 0);
        return c.LayerWindows.Count > 0 || window <= 0 ? c : c with { LayerWindows = Enumerable.Repeat(window, c.NumLayers).ToArray() };
    }

    /// <summary>Qwen2 and Qwen3: with use_sliding_window, the layers from max_window_layers on slide.</summary>
    public static ModelConfig FromMaxWindowLayers(ModelConfig c, JsonConfig json)
    {
        if (c.LayerWindows.Count > 0 || json.Has("layer_types") || !json.BoolOr("use_sliding_window", false)) return c;
        var window = json.IntOr("sliding_window", 0);
        if (window <= 0) throw new ModelConfigException($"{json.Source}: use_sliding_window needs a positive sliding_window");
        var from = json.IntOr("max_window_layers", c.NumLayers);
        return from >= c.NumLayers ? c : c with { LayerWindows = Enumerable.Range(0, c.NumLayers).Select(i => i >= from ? window : 0).ToArray() };
    }
}
