using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Deployments;
using OrleansLlm.Grains.Interfaces;
using Xunit;
using static TorchSharp.torch;
using Quantize = OrleansLlm.Grains.Interfaces.Quantization;

namespace OrleansLlm.Tests.Memory;

/// <summary>The planner's weight windows and int8 sizes, on the shapes of real models.</summary>
public class WeightPlanTests
{
    private static readonly ModelConfig Llama8B = ModelShapes.Get("llama-8b");

    private static SiloInventory[] Silos(int n, double gib) =>
        Enumerable.Range(0, n).Select(i => new SiloInventory($"s{i}", [new DeviceInfo("cpu", (long)(gib * (1L << 30)), 0)])).ToArray();

    private static DeploySpec Spec(int shards, Strategy strategy = Strategy.Tensor, WeightSettings? weights = null) => new()
    {
        Model = "shape:llama-8b", Shards = shards, Strategy = shards == 1 ? Strategy.Single : strategy, DType = DType.BFloat16,
        Weights = weights ?? new WeightSettings(),
    };

    [Fact]
    public void Llama8BOverFourSilosOf2GiBStreamsEachRanksSliceThroughAWindow()
    {
        var plan = Planner.Plan("d", Spec(4), Llama8B, Silos(4, 2));
        Assert.All(plan, p =>
        {
            Assert.InRange(p.Window, 2, p.Blocks - 1);
            Assert.Equal(64, p.Blocks);
            var kv = Planner.MinimumKvBytes(Llama8B, ModelSource.ToSlice(p.Slice), ScalarType.BFloat16);
            Assert.InRange(p.WeightBytes + kv, 0, 2L << 30);
        });
        // With room for the slices, nothing is windowed.
        Assert.All(Planner.Plan("d", Spec(4), Llama8B, Silos(4, 16)), p => Assert.Equal(0, p.Window));
        // The KV pool still gets its minimum beside the windows (64 MiB: 2048 tokens of a rank's 32 KiB a token).
        var blocks = KvPoolSizing.Blocks(Spec(4), Llama8B, plan, Silos(4, 2));
        Assert.InRange((blocks - 1) * KvPoolSizing.BlockSize, 2048, 1 << 20);
    }

    [Fact]
    public void AWindowAskedForIsGivenEvenWhereTheSliceFitsAndAWholeSliceWindowIsNoWindow()
    {
        var plan = Planner.Plan("d", Spec(2, Strategy.Pipeline, new WeightSettings { MemoryWindow = 4 }), Llama8B, Silos(2, 64));
        Assert.All(plan, p => Assert.Equal(4, p.Window));
        var slice = ModelSource.ToSlice(plan[0].Slice);
        Assert.Equal(ModelSizing.HeldBytes(Llama8B, slice, ScalarType.BFloat16, false, 4), plan[0].WeightBytes);
        var whole = Planner.Plan("d", Spec(2, Strategy.Pipeline, new WeightSettings { MemoryWindow = 64 }), Llama8B, Silos(2, 64));
        Assert.All(whole, p => Assert.Equal(0, p.Window));
    }

    [Fact]
    public void ABudgetBelowTwoBlocksBesideTheEmbeddingAndHeadIsRefusedWithTheNumbers()
    {
        // One shard: bf16 embedding and head take 2 GiB; 2.3 GiB leaves less than an attention and an MLP block (416 MiB).
        var e = Assert.Throws<OlmException>(() => Planner.Plan("d", Spec(1), Llama8B, Silos(1, 2.3)));
        Assert.Matches("shard\\(s\\) 0 need [0-9]+ MiB on cpu of s0, which has [0-9]+ MiB free, and no weight window fits", e.Message);
        Assert.Contains("at least 2 half-layer blocks (an attention and an MLP block: 416 MiB)", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Int8HalvesTheLayersOfBf16AndQuartersFloat32()
    {
        var full = ModelSlice.Full(Llama8B);
        double Layers(ScalarType dtype, bool int8) =>
            ModelSizing.HeldBytes(Llama8B, full, dtype, int8, 0) - ModelSizing.ResidentBytes(Llama8B, full, dtype);
        Assert.InRange(Layers(ScalarType.BFloat16, true) / Layers(ScalarType.BFloat16, false), 0.50, 0.501);
        Assert.InRange(Layers(ScalarType.Float32, true) / Layers(ScalarType.Float32, false), 0.25, 0.251);
        var plan = Planner.Plan("d", Spec(1, weights: new WeightSettings { Quantize = Quantize.Int8 }), Llama8B, Silos(1, 64));
        Assert.Equal(ModelSizing.HeldBytes(Llama8B, full, ScalarType.BFloat16, true, 0), plan[0].WeightBytes);
    }

    public static TheoryData<DeploySpec, string> BadSpecs => new()
    {
        { Spec(1, weights: new WeightSettings { MemoryWindow = 1 }), "--memory-window must be at least 2" },
        { Spec(1, weights: new WeightSettings { MemoryWindow = -3 }), "--memory-window must be at least 2" },
        { Spec(1, weights: new WeightSettings { Quantize = Quantize.Int8, Int8Threshold = 0 }), "--int8-threshold must be above 0" },
        { Spec(1, weights: new WeightSettings { Quantize = Quantize.Int8, Int8Threshold = -6 }), "--int8-threshold must be above 0" },
        { Spec(1, weights: new WeightSettings { ShadowOutliers = true }), "--shadow-outliers is a way of running int8 weights" },
        { Spec(2, Strategy.Sequence, new WeightSettings { Quantize = Quantize.Int8 }), "do not combine with --strategy sequence" },
        { Spec(2, Strategy.Tensor, new WeightSettings { Quantize = Quantize.Int8, ShadowOutliers = true }), "--shadow-outliers and int8-static need one shard" },
    };

    [Theory, MemberData(nameof(BadSpecs))]
    public void BadWeightSettingsAreRefusedInOneLine(DeploySpec spec, string message)
    {
        var e = Assert.Throws<OlmException>(() => Planner.Plan("d", spec, Llama8B, Silos(2, 64)));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
