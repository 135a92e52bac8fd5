using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Tokenization;

namespace OrleansLlm.Grains.Compute;

/// <summary>Engine failures as <see cref="OlmException"/>s, so callers get the one-line reason without engine types.</summary>
public static class EngineErrors
{
    public static async Task<T> Translate<T>(Func<Task<T>> work)
    {
        try { return await work(); }
        catch (Exception e) when (Translated(e) is { } olm) { throw olm; }
    }

    public static Exception? Translated(Exception e) => e switch
    {
        OlmException => null,
        CheckpointException or ModelConfigException or TokenizerException or ArgumentException or FileNotFoundException
            or DirectoryNotFoundException or InvalidOperationException => new OlmException(e.Message),
        System.Runtime.InteropServices.ExternalException => new OlmException($"torch: {FirstLine(e.Message)}"),
        OutOfMemoryException => new OlmException("out of memory"),
        _ => null,
    };

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
