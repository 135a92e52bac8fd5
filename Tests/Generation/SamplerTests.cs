using OrleansLlm.Engine.Generation;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Generation;

public sealed class SamplerTests
{
    private static readonly float[] Logits = [0.5f, -1.0f, 3.25f, 3.0f, 0.0f, 2.0f, -4.0f, 1.5f];

    [Fact]
    public void GreedyIsArgmax()
    {
        using var logits = tensor(Logits);
        var sampler = new Sampler(SamplingOptions.Greedy);

        Assert.Equal(2, sampler.Next(logits, []));
        Assert.Equal((int)logits.argmax().item<long>(), sampler.Next(logits, []));
    }

    [Fact]
    public void GreedyTieGoesToLowestId()
    {
        using var logits = tensor(new[] { 1f, 5f, 2f, 5f });

        Assert.Equal(1, new Sampler(SamplingOptions.Greedy).Next(logits, []));
    }

    [Fact]
    public void TopKOneWithTemperatureOneIsGreedy()
    {
        using var logits = tensor(Logits);
        var sampler = new Sampler(new SamplingOptions { Temperature = 1, TopK = 1, Seed = 3 });

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(2, sampler.Next(logits, []));
        }
    }

    [Fact]
    public void TopKKeepsTokensTiedWithTheKth()
    {
        using var logits = tensor(new[] { 3f, 2f, 2f, 0f });
        var sampler = new Sampler(new SamplingOptions { Temperature = 1, TopK = 2, Seed = 5 });

        var drawn = Enumerable.Range(0, 300).Select(_ => sampler.Next(logits, [])).ToHashSet();

        Assert.Equal([0, 1, 2], drawn.Order());
    }

    [Fact]
    public void SameSeedGivesSameSequence()
    {
        var options = new SamplingOptions { Temperature = 1.5, TopP = 0.95, Seed = 42 };

        Assert.Equal(Draw(new Sampler(options), 50), Draw(new Sampler(options), 50));
    }

    [Fact]
    public void DifferentSeedsGiveDifferentSequences()
    {
        var options = new SamplingOptions { Temperature = 1.5, Seed = 1 };

        Assert.NotEqual(Draw(new Sampler(options), 50), Draw(new Sampler(options with { Seed = 2 }), 50));
    }

    [Fact]
    public void UnseededSamplerReportsSeedThatReplaysIt()
    {
        var unseeded = new Sampler(new SamplingOptions { Temperature = 1 });
        var replay = new Sampler(new SamplingOptions { Temperature = 1, Seed = unseeded.Seed });

        Assert.Equal(Draw(unseeded, 50), Draw(replay, 50));
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.Float64)]
    public void AcceptsOtherFloatTypes(ScalarType type)
    {
        using var logits = tensor(Logits).to(type);

        Assert.Equal(2, new Sampler(SamplingOptions.Greedy).Next(logits, []));
        Assert.Equal(2, new Sampler(new SamplingOptions { Temperature = 1, TopK = 1 }).Next(logits, []));
    }

    [Fact]
    public void RejectsLogitsThatAreNotAFloatRow()
    {
        var sampler = new Sampler(SamplingOptions.Greedy);
        using var matrix = zeros(2, 4);
        using var integers = tensor(new long[] { 1, 2 });

        Assert.Throws<ArgumentException>(() => sampler.Next(matrix, []));
        Assert.Throws<ArgumentException>(() => sampler.Next(integers, []));
    }

    [Fact]
    public void NothingLeftToSampleThrows()
    {
        using var logits = full(4, float.NegativeInfinity);
        var sampler = new Sampler(new SamplingOptions { Temperature = 1 });

        Assert.Throws<InvalidOperationException>(() => sampler.Next(logits, []));
    }

    private static List<int> Draw(Sampler sampler, int count)
    {
        using var logits = tensor(new[] { 0.1f, 0.2f, 0.0f, 0.3f, -0.1f, 0.25f, 0.15f, 0.05f });
        return Enumerable.Range(0, count).Select(_ => sampler.Next(logits, [])).ToList();
    }
}
