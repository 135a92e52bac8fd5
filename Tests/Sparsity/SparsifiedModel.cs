using OrleansLlm.Engine.Sparsity;
using OrleansLlm.Tests.Engine;

namespace OrleansLlm.Tests.Sparsity;

/// <summary>
/// A copy of the demo model in a temporary folder with predictors trained by olm sparsify's engine on part of the
/// calibration stories (bench/texts/sparsify-stories.txt): shared by the tests of one class.
/// </summary>
public sealed class SparsifiedModel : IDisposable
{
    public static readonly string Stories = Path.Combine(AppContext.BaseDirectory, "texts", "sparsify-stories.txt");
    public static readonly string EvalStory = Path.Combine(AppContext.BaseDirectory, "texts", "eval-story.txt");

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "olm-sparsify-" + Guid.NewGuid().ToString("N")[..8]);
    public SparsityHeader Header { get; }
    public string Log { get; }

    public SparsifiedModel()
    {
        Directory.CreateDirectory(Dir);
        foreach (var file in Directory.GetFiles(DemoModelTests.Dir)) File.Copy(file, Path.Combine(Dir, Path.GetFileName(file)));
        var log = new StringWriter();
        Header = Sparsifier.Run(new Sparsifier.Options { ModelDir = Dir, Text = File.ReadAllText(Stories), Steps = 150, MaxTokens = 3000 }, log);
        Log = log.ToString();
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
