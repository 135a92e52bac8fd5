using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Quantization;
using OrleansLlm.Tests.Engine;
using OrleansLlm.Tests.Memory;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Int8;

/// <summary>llm.npu's static int8 with shadow outliers, against the same math in float64 given the calibration's decisions.</summary>
public class StaticShadowTests
{
    private static ShardModel Float(string dir)
    {
        var config = OrleansLlm.Engine.Config.ModelConfig.Load(dir);
        using var checkpoint = Checkpoint.Open(dir);
        return ShardModel.Load(config, ModelSlice.Full(config), new ShardOptions(), checkpoint);
    }

    private static ShardModel Load(string dir, bool shadows, double threshold = 6.0)
    {
        var config = OrleansLlm.Engine.Config.ModelConfig.Load(dir);
        using var checkpoint = Checkpoint.Open(dir);
        var ids = CalibrationText.Ids(dir, null, config.VocabSize, config.MaxPositions);
        var options = new ShardOptions
        {
            Int8 = new Int8Options { Threshold = threshold, Static = new StaticInt8 { CalibrationIds = ids, Shadows = shadows } },
        };
        return ShardModel.Load(config, ModelSlice.Full(config), options, checkpoint);
    }

    public static TheoryData<string, bool, double> Models => new()
    {
        { DemoModelTests.Dir, true, 6.0 }, { DemoModelTests.Dir, false, 6.0 }, { DemoModelTests.Dir, true, 2.0 },
        { Fixture.DirOf("llama-tiny"), true, 3.0 }, { Fixture.DirOf("qwen2-tiny"), true, 3.0 },
    };

    [Theory, MemberData(nameof(Models))]
    public void LogitsEqualTheFloat64ReferenceOfTheCalibratedStaticMath(string dir, bool shadows, double threshold)
    {
        using var model = Load(dir, shadows, threshold);
        var plan = model.StaticPlan!;
        Assert.Equal(4 * model.Config.NumLayers, plan.Linears.Count);
        Assert.All(plan.Linears, l => Assert.True(l.Scale > 0));
        if (!shadows) Assert.Empty(plan.Shadowed);
        var prompt = Enumerable.Range(0, 40).Select(i => (1 + 7 * i) % model.Config.VocabSize).ToArray();
        var (_, logits) = PagedRun.Greedy(model, prompt, 1);
        using var want = Int8Reference.Logits(dir, prompt.Select(i => (long)i).ToArray(), threshold, plan);
        using var last = want.narrow(0, prompt.Length - 1, 1);
        var scale = last.abs().max().item<double>();
        Assert.InRange(Fixture.MaxAbsDiff(logits[0], last) / scale, 0, 1e-4);
    }

    [Fact]
    public void ALowThresholdGivesTheDemoModelShadowsAndTheyBringItBackTowardsFloat()
    {
        // At threshold 2 the demo model's activations have outlier channels whose clipping costs more than 1% of some
        // linears' outputs: those get shadows, and with them the logits are closer to the float model's.
        using var shadowed = Load(DemoModelTests.Dir, shadows: true, threshold: 2.0);
        using var clipped = Load(DemoModelTests.Dir, shadows: false, threshold: 2.0);
        Assert.NotEmpty(shadowed.StaticPlan!.Shadowed);
        Assert.All(shadowed.StaticPlan.Shadowed, l => Assert.True(l.ClipError > 0.01 && l.Channels.Length > 0));
        using var fp32 = Float(DemoModelTests.Dir);
        var prompt = Enumerable.Range(0, 40).Select(i => (1 + 7 * i) % 512).ToArray();
        var (_, want) = PagedRun.Greedy(fp32, prompt, 4);
        var (_, a) = PagedRun.Greedy(shadowed, prompt, 4);
        var (_, b) = PagedRun.Greedy(clipped, prompt, 4);
        double Error(List<Tensor> got) => got.Zip(want).Sum(p => Fixture.MaxAbsDiff(p.First, p.Second));
        Assert.True(Error(a) < Error(b), $"shadows {Error(a)} vs clipped {Error(b)}");
    }
}
