using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Quantization;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Tests.Engine;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Int8;

/// <summary>
/// LLM.int8() keeps the demo model's perplexity on a story it never saw (bench/texts/eval-story.txt, 476 tokens)
/// within 1% of float32, with its outlier decomposition (threshold 6) and without it.
/// </summary>
public class PerplexityTests
{
    private static readonly string Story = Path.Combine(AppContext.BaseDirectory, "texts", "eval-story.txt");

    /// <summary>exp(mean −log p(token | earlier tokens)) over the text, one batched prefill chunk.</summary>
    public static double Perplexity(ShardModel model, int[] ids) => Memory.PagedRun.Perplexity(model, ids, BatchOutput.None);

    private static ShardModel Load(Int8Options? int8)
    {
        var config = OrleansLlm.Engine.Config.ModelConfig.Load(DemoModelTests.Dir);
        using var checkpoint = Checkpoint.Open(DemoModelTests.Dir);
        return ShardModel.Load(config, ModelSlice.Full(config), new ShardOptions { Int8 = int8 }, checkpoint);
    }

    [Theory]
    [InlineData(6.0)]
    [InlineData(double.PositiveInfinity)]
    public void Int8StaysWithinOnePercentOfFloat32(double threshold)
    {
        var ids = HfTokenizer.Load(DemoModelTests.Dir).Encode(File.ReadAllText(Story));
        Assert.InRange(ids.Length, 400, 512);
        using var fp32 = Load(null);
        using var int8 = Load(new Int8Options { Threshold = threshold });
        var (want, got) = (Perplexity(fp32, ids), Perplexity(int8, ids));
        Assert.InRange(want, 2, 10);                       // the model knows stories: a few choices a token
        Assert.InRange(Math.Abs(got / want - 1), 0, 0.01);
    }
}
