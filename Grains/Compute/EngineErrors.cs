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
        System.Runtime.InteropServices.ExternalException => new OlmException($"torch: {Reason(e.Message)}{Origin(e)}"),
        OutOfMemoryException => new OlmException("out of memory"),
        _ => null,
    };

    /// <summary>
    /// The line that says what went wrong: libtorch's first line, or for a TorchScript failure (whose first line only
    /// says one happened, then the script's traceback) the error after the traceback.
    /// </summary>
    private static string Reason(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) return "";
        if (!lines[0].StartsWith("The following operation failed in the TorchScript interpreter", StringComparison.Ordinal)) return lines[0];
        return lines.LastOrDefault(l => l.Contains("Error:", StringComparison.Ordinal)) ?? lines[^1];
    }

    /// <summary>Where in libtorch and in our code a native error came from, so a one-line report can be traced.</summary>
    private static string Origin(Exception e)
    {
        var raised = e.Message.Split('\n').FirstOrDefault(l => l.StartsWith("Exception raised from", StringComparison.Ordinal))?.Trim();
        var ours = e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("OrleansLlm.", StringComparison.Ordinal))?.Trim();
        return raised is null && ours is null ? "" : $" ({string.Join("; ", new[] { raised, ours }.OfType<string>())})";
    }
}
