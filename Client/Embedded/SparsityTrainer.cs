using System.Text.Json;
using OrleansLlm.Engine.Sparsity;

namespace OrleansLlm.Client.Embedded;

/// <summary>olm sparsify's work, here because it needs libtorch (the dense model runs and the predictors train in it).</summary>
public static class SparsityTrainer
{
    public static string Run(string modelDir, string text, string? holdout, int rank, int steps, TextWriter log)
    {
        Engine.LibTorch.EnsureLoadable();
        var header = Sparsifier.Run(new Sparsifier.Options { ModelDir = modelDir, Text = text, Holdout = holdout, Rank = rank, Steps = steps }, log);
        return JsonSerializer.Serialize(header);
    }
}
