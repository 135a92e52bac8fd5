using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>RoPE frequencies against transformers' formulas evaluated in float64 (the fixtures only cover "default").</summary>
public class RopeTests
{
    private static double[] Reference(RopeConfig r, int dim)
    {
        var inv = Enumerable.Range(0, dim / 2).Select(i => 1.0 / Math.Pow(r.Theta, 2.0 * i / dim)).ToArray();
        if (r.Type == "linear") return inv.Select(f => f / r.Factor).ToArray();
        if (r.Type != "llama3") return inv;
        double old = r.OriginalMaxPositions, low = old / r.LowFreqFactor, high = old / r.HighFreqFactor;
        return inv.Select(f =>
        {
            var wavelen = 2 * Math.PI / f;
            if (wavelen < high) return f;
            if (wavelen > low) return f / r.Factor;
            var smooth = (old / wavelen - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor);
            return (1 - smooth) * f / r.Factor + smooth * f;
        }).ToArray();
    }

    [Theory]
    [InlineData("default", 1.0)]
    [InlineData("linear", 4.0)]
    [InlineData("llama3", 32.0)]
    public void FrequenciesFollowTheReferenceFormula(string type, double factor)
    {
        var config = ModelShapes.Get("llama-1b") with
        {
            Rope = new RopeConfig { Theta = 500000, Type = type, Factor = factor, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositions = 8192 },
        };
        using var rope = new RotaryEmbedding(config, CPU);
        var got = rope.InverseFrequencies.data<float>().ToArray();
        var want = Reference(config.Rope, config.HeadDim);
        Assert.Equal(want.Length, got.Length);
        for (var i = 0; i < want.Length; i++) Assert.InRange(Math.Abs(got[i] - want[i]) / want[i], 0, 1e-5);
        if (type == "llama3") Assert.True(got[^1] < want[0] / 1000, "the lowest frequencies are scaled down");
    }
}
