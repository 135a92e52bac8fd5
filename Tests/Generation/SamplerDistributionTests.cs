using OrleansLlm.Engine.Generation;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Generation;

/// <summary>The Sampler's empirical distribution against the float64 reference of HF's warpers.</summary>
public sealed class SamplerDistributionTests
{
    // Enough for the chi-square test to catch any real filtering error while keeping the suite fast; the coarse
    // 0.03 bound on each frequency is still over 4 standard deviations.
    private const int Draws = 5_000;

    // 99.9% quantiles of chi-square with 0..7 degrees of freedom.
    private static readonly double[] ChiSquareCritical = [0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32];

    // Distinct values chosen so that no top-p or min-p cut lies within 0.005 of its threshold, where float32 (the
    // Sampler) and float64 (the reference) could disagree on the kept set.
    private static readonly double[] Logits = [1.0, 2.5, -0.5, 0.3, 2.0, -1.2, 1.7, 0.9];

    /// <summary>Temperature alone, each filter alone, then two combinations.</summary>
    public static TheoryData<double, int, double, double> Settings => new()
    {
        { 2.0, 0, 1.0, 0.0 },
        { 0.7, 4, 1.0, 0.0 },
        { 1.3, 0, 0.75, 0.0 },
        { 1.0, 0, 1.0, 0.15 },
        { 1.5, 4, 0.75, 0.3 },
        { 0.9, 6, 0.9, 0.18 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void FrequenciesMatchReference(double temperature, int topK, double topP, double minP)
    {
        var expected = SamplingReference.Probabilities(Logits, temperature, topK, topP, minP);
        var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP, Seed = 7 };
        var counts = Count(new Sampler(options));

        var chiSquare = 0.0;
        for (var token = 0; token < Logits.Length; token++)
        {
            var frequency = (double)counts[token] / Draws;
            var detail = $"token {token}: frequency {frequency:F4}, reference {expected[token]:F4}";
            Assert.True((counts[token] > 0) == (expected[token] > 0), detail);
            Assert.True(Math.Abs(frequency - expected[token]) < 0.03, detail);
            if (expected[token] > 0)
            {
                var mean = Draws * expected[token];
                chiSquare += (counts[token] - mean) * (counts[token] - mean) / mean;
            }
        }

        var freedom = expected.Count(p => p > 0) - 1;
        Assert.True(chiSquare < ChiSquareCritical[freedom], $"chi-square {chiSquare:F2} with {freedom} degrees of freedom");
    }

    [Fact]
    public void EveryFilterRemovesTokensInSomeSetting()
    {
        // Guards the test data: a filter that never removes anything the others keep would go untested.
        var rows = Settings.Select(r => ((double)r[0], (int)r[1], (double)r[2], (double)r[3])).ToList();

        Assert.Contains(rows, r => r.Item2 > 0 && Kept(r with { Item2 = 0 }) > Kept(r));
        Assert.Contains(rows, r => r.Item3 < 1 && Kept(r with { Item3 = 1 }) > Kept(r));
        Assert.Contains(rows, r => r.Item4 > 0 && Kept(r with { Item4 = 0 }) > Kept(r));
    }

    private static int[] Count(Sampler sampler)
    {
        using var logits = tensor(Logits.Select(x => (float)x).ToArray());
        var counts = new int[Logits.Length];
        for (var i = 0; i < Draws; i++)
        {
            counts[sampler.Next(logits, [])]++;
        }

        return counts;
    }

    private static int Kept((double Temperature, int TopK, double TopP, double MinP) s) =>
        SamplingReference.Probabilities(Logits, s.Temperature, s.TopK, s.TopP, s.MinP).Count(p => p > 0);
}
