using OrleansLlm.Engine.Checkpoints;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

public class RandomWeightsTests
{
    [Fact]
    public void WeightsAreRepeatableScaledByFanInAndDifferByName()
    {
        using var scope = NewDisposeScope();
        using var source = new RandomWeights(seed: 3);
        var a = source.Read("model.layers.0.mlp.down_proj.weight", [256, 1024]);
        var again = new RandomWeights(seed: 3).Read("model.layers.0.mlp.down_proj.weight", [256, 1024]);
        var other = source.Read("model.layers.1.mlp.down_proj.weight", [256, 1024]);
        Assert.True(a.eq(again).all().item<bool>());
        Assert.False(a.eq(other).all().item<bool>());
        Assert.InRange(a.mean().item<float>(), -0.002, 0.002);
        Assert.InRange(a.std().item<float>() * Math.Sqrt(1024), 0.98, 1.02);
        var rows = source.Read("model.layers.0.mlp.down_proj.weight", [256, 1024], rows: new Range(16, 48));
        Assert.True(rows.eq(a.narrow(0, 16, 32)).all().item<bool>());
    }
}
