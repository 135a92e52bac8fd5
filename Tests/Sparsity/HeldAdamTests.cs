using OrleansLlm.Engine.Sparsity;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Sparsity;

/// <summary>The predictors' Adam against TorchSharp's own (an independent implementation of the same update).</summary>
public class HeldAdamTests
{
    [Fact]
    public void StepsMatchTorchSharpsAdam()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var (x, y) = (randn([16, 8], generator: g), randn([16, 4], generator: g));
        var start = randn([4, 8], generator: g);
        var mine = nn.Parameter(start.clone());
        var theirs = nn.Parameter(start.clone());
        using var held = new HeldAdam([mine], 0.01);
        var adam = optim.Adam([theirs], lr: 0.01);
        for (var step = 0; step < 5; step++)
        {
            x.matmul(mine.t()).sub(y).pow(2).mean().backward();
            held.Step();
            adam.zero_grad();
            x.matmul(theirs.t()).sub(y).pow(2).mean().backward();
            adam.step();
        }
        Assert.True(mine.detach().sub(start).abs().max().item<float>() > 1e-3, "the parameters moved");
        Assert.InRange(mine.detach().sub(theirs.detach()).abs().max().item<float>(), 0, 1e-6);
    }
}
