using OrleansLlm.Engine.Config;

namespace OrleansLlm.Engine.Families;

/// <summary>Sliding-window attention as the families read it from config.json.</summary>
internal static class Windows
{
    /// <summary>Refuses a window shorter than the context, which the layer does not apply yet.</summary>
    public static void RefuseShorterThanContext(ModelConfig c, int window)
    {
        if (window > 0 && window < c.MaxPositions)
            throw new ModelConfigException($"unsupported sliding_window {window} shorter than the context {c.MaxPositions}");
    }
}
