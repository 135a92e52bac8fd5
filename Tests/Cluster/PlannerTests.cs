using OrleansLlm.Engine.Config;
using OrleansLlm.Grains.Deployments;
using OrleansLlm.Grains.Interfaces;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

public class PlannerTests
{
    private static readonly ModelConfig Tiny = ModelShapes.Get("tiny");

    private static SiloInventory Silo(string name, double speed, long freeGiB = 8) =>
        new(name, [new DeviceInfo("cpu", freeGiB << 30, 0, speed)]);

    [Fact]
    public void DeclaredSpeedsDecideTheSplit()
    {
        var plan = Planner.Plan("d", new DeploySpec { Model = "shape:tiny", Strategy = Strategy.Tensor, Shards = 2 },
            Tiny, [Silo("a", 3.0), Silo("b", 1.0)]);
        Assert.Equal([3, 1], plan.Select(p => p.Slice.KvHeadEnd - p.Slice.KvHeadStart));
        Assert.Equal(["a", "b"], plan.Select(p => p.Silo));
        var pipeline = Planner.Plan("d", new DeploySpec { Model = "shape:tiny", Strategy = Strategy.Pipeline, Shards = 2 },
            Tiny, [Silo("a", 1.0), Silo("b", 3.0)]);
        Assert.Equal([1, 3], pipeline.Select(p => p.Slice.LayerEnd - p.Slice.LayerStart));
        Assert.True(pipeline[0].Slice.HasEmbedding && !pipeline[0].Slice.HasHead);
        Assert.True(pipeline[1].Slice.HasHead && !pipeline[1].Slice.HasEmbedding);
    }

    [Fact]
    public void MoreShardsThanSilosShareDevicesAndMemoryIsChecked()
    {
        var plan = Planner.Plan("d", new DeploySpec { Model = "shape:tiny", Strategy = Strategy.Tensor, Shards = 4 },
            Tiny, [Silo("a", 1.0), Silo("b", 1.0)]);
        Assert.Equal(["a", "b", "a", "b"], plan.Select(p => p.Silo));
        // 2 GiB each: the float32 embedding (and head) alone take 2 GiB, so not even a weight window fits.
        var e = Assert.Throws<OlmException>(() => Planner.Plan("d",
            new DeploySpec { Model = "shape:llama-8b", Strategy = Strategy.Pipeline, Shards = 2 },
            ModelShapes.Get("llama-8b"), [Silo("a", 1.0, 2), Silo("b", 1.0, 2)]));
        Assert.Contains("MiB free", e.Message);
    }

    [Fact]
    public void WhenSpeedsDoNotFitTheMemoryTheSplitFollowsFreeMemory()
    {
        var config = ModelShapes.Get("llama-8b");
        // Equal speeds would put 16 layers (about 14 GiB in bf16) on each; the small device holds only 5 GiB.
        var plan = Planner.Plan("d", new DeploySpec { Model = "shape:llama-8b", Strategy = Strategy.Pipeline, Shards = 2, DType = DType.BFloat16 },
            config, [Silo("a", 1.0, 40), Silo("b", 1.0, 5)]);
        var layers = plan.Select(p => p.Slice.LayerEnd - p.Slice.LayerStart).ToArray();
        Assert.True(layers[0] > layers[1], $"layers {layers[0]} / {layers[1]}");
        Assert.All(plan.Where(p => p.Silo == "b"), p => Assert.InRange(p.WeightBytes, 0, 5L << 30));
    }

    [Fact]
    public void ATensorStageOnGpusKeepsItsRanksInOneSilo()
    {
        static SiloInventory Gpus(string name) => new(name,
            [new DeviceInfo("cuda:0", 80L << 30, 0, 1.0), new DeviceInfo("cuda:1", 80L << 30, 0, 1.0)]);
        var plan = Planner.Plan("d", new DeploySpec { Model = "shape:tiny", Strategy = Strategy.PipelineTensor, Shards = 4, Device = "cuda" },
            Tiny, [Gpus("a"), Gpus("b")]);
        Assert.Equal(["a", "a", "b", "b"], plan.Select(p => p.Silo));
        Assert.Equal(["cuda:0", "cuda:1", "cuda:0", "cuda:1"], plan.Select(p => p.Device));
        Assert.Equal([0, 0, 1, 1], plan.Select(p => p.Stage));
        // Three ranks fit no silo: ranks spread over silos as before.
        var spread = Planner.Plan("d", new DeploySpec { Model = "shape:tiny", Strategy = Strategy.Tensor, Shards = 3, Device = "cuda" },
            Tiny, [Gpus("a"), Gpus("b")]);
        Assert.Equal(["a", "b", "a"], spread.Select(p => p.Silo));
    }

    [Theory]
    [InlineData(10, new[] { 1.0, 1.0, 1.0 }, new[] { 4, 3, 3 })]
    [InlineData(4, new[] { 100.0, 1.0 }, new[] { 3, 1 })]
    [InlineData(7, new[] { 2.0, 1.0, 1.0 }, new[] { 3, 2, 2 })]
    [InlineData(3, new[] { 100.0, 1.0, 1.0 }, new[] { 1, 1, 1 })]
    [InlineData(4, new[] { 1.0, 3.0 }, new[] { 1, 3 })]
    public void ProportionalSplitsGiveEveryoneAtLeastOne(int total, double[] weights, int[] expected) =>
        Assert.Equal(expected, ProportionalSplit.Counts(total, weights));
}
