using OrleansLlm.Engine.Generation;
using Xunit;

namespace OrleansLlm.Tests.Generation;

public sealed class SamplingOptionsTests
{
    public static TheoryData<SamplingOptions, string> Invalid => new()
    {
        { new SamplingOptions { Temperature = -0.1 }, nameof(SamplingOptions.Temperature) },
        { new SamplingOptions { Temperature = double.NaN }, nameof(SamplingOptions.Temperature) },
        { new SamplingOptions { TopK = -1 }, nameof(SamplingOptions.TopK) },
        { new SamplingOptions { TopP = 0 }, nameof(SamplingOptions.TopP) },
        { new SamplingOptions { TopP = 1.01 }, nameof(SamplingOptions.TopP) },
        { new SamplingOptions { TopP = double.NaN }, nameof(SamplingOptions.TopP) },
        { new SamplingOptions { MinP = -0.01 }, nameof(SamplingOptions.MinP) },
        { new SamplingOptions { MinP = 1 }, nameof(SamplingOptions.MinP) },
        { new SamplingOptions { RepetitionPenalty = 0 }, nameof(SamplingOptions.RepetitionPenalty) },
        { new SamplingOptions { RepetitionPenalty = -1 }, nameof(SamplingOptions.RepetitionPenalty) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void ValidateRejectsOutOfRangeValues(SamplingOptions options, string parameter)
    {
        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(parameter, error.ParamName);
        Assert.StartsWith(parameter, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void SamplerValidatesItsOptions()
    {
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { TopP = 2 }));
    }

    [Fact]
    public void DefaultsAreGreedyWithEveryFilterOff()
    {
        var options = new SamplingOptions();

        options.Validate();
        Assert.True(options.IsGreedy);
        Assert.Equal((0, 1.0, 0.0, 1.0), (options.TopK, options.TopP, options.MinP, options.RepetitionPenalty));
        Assert.False((options with { Temperature = 0.7, TopP = 1, MinP = 0.99, TopK = 0 }).IsGreedy);
    }
}
