using OrleansLlm.Engine;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Tests.Client;
using Xunit;

namespace OrleansLlm.Tests.Engine;

/// <summary>
/// The README's quick-start model, models/stories260K (llama2.c's TinyStories 260K): greedy text equals what Hugging
/// Face transformers 5.17 generated from it (recorded in shared/models/README.md, where transformers also matched
/// llama2.c's run.c token for token).
/// </summary>
public class DemoModelTests
{
    public static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "models", "stories260K");

    public const string Prompt = "Once upon a time";

    /// <summary>transformers' greedy continuation of <see cref="Prompt"/>, as far as it was recorded.</summary>
    public const string TransformersGreedy =
        ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. " +
        "She wanted to play with it, but it was too high.";

    [Fact]
    public async Task GreedyTextEqualsTransformers()
    {
        using var model = LocalModel.Load(Dir);
        var prompt = model.Tokenizer!.Encode(Prompt);
        var text = "";
        await foreach (var t in model.GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = 60 })) text += t.Text;
        Assert.StartsWith(TransformersGreedy, text);
    }

    [Fact]
    public async Task TheQuickStartCommandPrintsTheStory()
    {
        var (code, stdout, stderr) = await OlmProcess.Run("generate", "--model", Dir, "--prompt", Prompt, "--max-tokens", "60");
        Assert.True(code == 0, stderr);
        Assert.StartsWith(TransformersGreedy, stdout);
    }
}
