using OrleansLlm.Engine.Generation;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Generation;

public sealed class RepetitionPenaltyTests
{
    [Fact]
    public void PenaltyChangesGreedyChoice()
    {
        using var logits = tensor(new[] { 2.0f, 1.9f, -1.0f, 0.5f });
        var penalized = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 1.5 });

        Assert.Equal(0, new Sampler(SamplingOptions.Greedy).Next(logits, [0, 3]));
        Assert.Equal(1, penalized.Next(logits, [0, 3, 0]));
    }

    [Fact]
    public void NegativeLogitsAreMultiplied()
    {
        // Dividing -1.0 by 2 would leave token 0 on top; multiplying drops it below token 1.
        using var logits = tensor(new[] { -1.0f, -1.2f, -3.0f });
        var penalized = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 2 });

        Assert.Equal(1, penalized.Next(logits, [0]));
    }

    [Fact]
    public void PenalizesEachDistinctPreviousTokenOnce()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { -1.0f, 2.0f, 0.5f, 4.0f });

        var result = SamplingFilters.RepetitionPenalty(logits, [0, 1, 1, 0, 1], 2).data<float>().ToArray();

        Assert.Equal([-2.0f, 1.0f, 0.5f, 4.0f], result);
    }

    [Fact]
    public void LeavesCallersLogitsUnchanged()
    {
        using var logits = tensor(new[] { -1.0f, 2.0f, 0.5f });
        var sampler = new Sampler(new SamplingOptions { Temperature = 1, RepetitionPenalty = 3, Seed = 1 });

        sampler.Next(logits, [0, 1, 2]);

        Assert.Equal([-1.0f, 2.0f, 0.5f], logits.data<float>().ToArray());
    }

    [Fact]
    public void TokenOutsideVocabularyThrows()
    {
        using var logits = tensor(new[] { 1.0f, 2.0f });
        var sampler = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 1.2 });

        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Next(logits, [2]));
    }
}
