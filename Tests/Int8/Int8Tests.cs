using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Quantization;
using OrleansLlm.Tests.Engine;
using OrleansLlm.Tests.Memory;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Int8;

/// <summary>LLM.int8() as the kernels compute it, against the same math in float64.</summary>
public class Int8Tests
{
    private static TorchSharp.torch.Generator Seeded(int seed) => new((ulong)seed);

    [Fact]
    public void RowsAreQuantizedByTheirAbsoluteMaximum()
    {
        using var w = randn(37, 19, generator: Seeded(1)).mul(3);
        var (q, s) = Int8Weights.Quantize(w);
        using (q)
        using (s)
        {
            Assert.Equal((ScalarType.Int8, ScalarType.Float32), (q.dtype, s.dtype));
            using var absmax = w.to(ScalarType.Float64).abs().amax([1]);
            Assert.InRange(Fixture.MaxAbsDiff(s.to(ScalarType.Float64).mul(127), absmax), 0, 1e-5);
            using var rowMax = q.to(ScalarType.Int32).abs().amax([1]);
            Assert.All(rowMax.data<int>().ToArray(), m => Assert.Equal(127, m));
            // Each weight within half a step of its int8 value.
            using var error = w.to(ScalarType.Float64).sub(q.to(ScalarType.Float64).mul(s.to(ScalarType.Float64).unsqueeze(1))).abs();
            using var halfStep = s.to(ScalarType.Float64).unsqueeze(1).div(2).add(1e-7);
            Assert.True(error.le(halfStep).all().item<bool>());
        }
    }

    public static TheoryData<int, int, int, double> Shapes => new()
    {
        { 1, 64, 32, 6.0 }, { 5, 7, 5, 6.0 }, { 17, 64, 40, 6.0 }, { 9, 48, 24, double.PositiveInfinity }, { 3, 16, 8, 0.5 },
    };

    /// <summary>Activations with a few large feature columns (the outliers LLM.int8() takes apart) and a bias.</summary>
    [Theory, MemberData(nameof(Shapes))]
    public void TheLinearEqualsItsFloat64Reference(int m, int k, int n, double threshold)
    {
        using var scope = NewDisposeScope();
        var x = randn(m, k, generator: Seeded(2));
        x.index_put_(randn(m, generator: Seeded(3)).mul(9), TensorIndex.Colon, TensorIndex.Single(k / 2));
        var (q, s) = Int8Weights.Quantize(randn(n, k, generator: Seeded(4)));
        var bias = randn(n, generator: Seeded(5));
        var got = Int8Weights.Linear(x, q, s, bias, threshold);
        var want = Int8Reference.Linear(x, q, s, bias, threshold);
        Assert.Equal(ScalarType.Float32, got.dtype);
        var scale = want.abs().max().item<double>();
        Assert.InRange(Fixture.MaxAbsDiff(got, want) / scale, 0, 2e-6);
    }

    [Theory]
    [InlineData("llama-tiny", 6.0)]
    [InlineData("qwen2-tiny", 6.0)]
    [InlineData("llama-tiny", double.PositiveInfinity)]
    public void AnInt8ModelsLogitsEqualTheFloat64ReferenceOfTheSameQuantizedMath(string name, double threshold)
    {
        var f = new Fixture(name);
        using var model = f.LoadModel(int8: new Int8Options { Threshold = threshold });
        var prompt = f.InputIds.Select(i => (int)i).ToArray();
        using var want = Int8Reference.Logits(f.Dir, f.InputIds, threshold);
        var (_, logits) = PagedRun.Greedy(model, prompt, 1);
        using var last = want.narrow(0, prompt.Length - 1, 1);
        var scale = last.abs().max().item<double>();
        Assert.InRange(Fixture.MaxAbsDiff(logits[0], last) / scale, 0, 1e-4);
        // And the int8 model is still the model: close to float32.
        using var fp32 = f.Expected("logits");
        using var fpLast = fp32.narrow(0, prompt.Length - 1, 1);
        Assert.InRange(Fixture.MaxAbsDiff(logits[0], fpLast) / scale, 0, 0.05);
    }

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    public void ResidentWindowedAndUnbatchedInt8RunsAgree(string name)
    {
        var f = new Fixture(name);
        var int8 = new Int8Options();
        using var resident = f.LoadModel(int8: int8);
        using var windowed = f.LoadModel(int8: int8, window: 2);
        var prompt = f.GreedyIds[..f.PromptLength].Select(i => (int)i).ToArray();
        var (a, la) = PagedRun.Greedy(resident, prompt, 5);
        var (b, lb) = PagedRun.Greedy(windowed, prompt, 5);
        Assert.Equal(a, b);
        for (var i = 0; i < la.Count; i++) Assert.Equal(0, Fixture.MaxAbsDiff(la[i], lb[i]));
        using var cache = resident.NewCache(prompt.Length);
        using var hidden = resident.ForwardLayers(resident.Embed(tensor(prompt.Select(i => (long)i).ToArray())), cache);
        using var logits = resident.Logits(hidden.narrow(0, prompt.Length - 1, 1));
        Assert.InRange(Fixture.MaxAbsDiff(logits, la[0]), 0, 1e-4);
    }

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    public void Int8WeightsTakeAQuarterOfFloat32ForTheLinears(string name)
    {
        var f = new Fixture(name);
        using var fp32 = f.LoadModel();
        using var int8 = f.LoadModel(int8: new Int8Options());
        var slice = ModelSlice.Full(f.Config);
        var residentParts = ModelSizing.ResidentBytes(f.Config, slice, ScalarType.Float32);
        Assert.Equal(ModelSizing.HeldBytes(f.Config, slice, ScalarType.Float32, int8: true, window: 0), int8.WeightBytes);
        var linears = (double)(int8.WeightBytes - residentParts) / (fp32.WeightBytes - residentParts);
        Assert.InRange(linears, 0.25, 0.30);    // a byte an element, plus a float32 scale a row and the float norms/biases
    }
}
