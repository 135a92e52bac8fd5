using OrleansLlm.Engine.Model;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

public class ForwardTests
{
    public static TheoryData<string> Fixtures => new(Fixture.Names);

    [Theory, MemberData(nameof(Fixtures))]
    public void TeacherForcedLogitsMatchTransformers(string name)
    {
        var f = new Fixture(name);
        using var model = f.LoadModel();
        using var cache = model.NewCache(f.InputIds.Length);
        using var ids = tensor(f.InputIds);
        using var hidden = model.ForwardLayers(model.Embed(ids), cache);
        using var logits = model.Logits(hidden);
        using var expected = f.Expected("logits");
        Assert.Equal(expected.shape, logits.shape);
        Assert.InRange(Fixture.MaxAbsDiff(logits, expected), 0, 1e-4);
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void DecodeStepByStepMatchesTeacherForcedLogits(string name)
    {
        var f = new Fixture(name);
        using var model = f.LoadModel();
        using var cache = model.NewCache(4); // smaller than the sequence: exercises growth
        using var expected = f.Expected("greedy_logits");
        var p = f.PromptLength;
        using (var prompt = tensor(f.GreedyIds[..p]))
        using (var h = model.ForwardLayers(model.Embed(prompt), cache))
        using (var logits = model.Logits(h))
        using (var want = expected.narrow(0, 0, p))
            Assert.InRange(Fixture.MaxAbsDiff(logits, want), 0, 1e-4);
        for (var i = p; i < f.GreedyIds.Length; i++)
        {
            using var id = tensor(new[] { f.GreedyIds[i] });
            using var h = model.ForwardLayers(model.Embed(id), cache);
            using var logits = model.Logits(h);
            using var want = expected.narrow(0, i, 1);
            Assert.InRange(Fixture.MaxAbsDiff(logits, want), 0, 1e-4);
        }
    }

    [Theory]
    [InlineData("llama-tiny", ScalarType.BFloat16, 0.05)]
    [InlineData("qwen2-tiny", ScalarType.BFloat16, 0.05)]
    [InlineData("llama-tiny", ScalarType.Float16, 0.01)]
    public void HalfPrecisionComputeStaysCloseToFloat32(string name, ScalarType dtype, double relativeTolerance)
    {
        var f = new Fixture(name);
        using var model = f.LoadModel(dtype: dtype);
        Assert.Equal(dtype, model.DType);
        using var cache = model.NewCache(f.InputIds.Length);
        using var ids = tensor(f.InputIds);
        using var hidden = model.ForwardLayers(model.Embed(ids), cache);
        using var logits = model.Logits(hidden);
        using var expected = f.Expected("logits");
        Assert.Equal(ScalarType.Float32, logits.dtype);
        using var scale = expected.abs().max();
        Assert.InRange(Fixture.MaxAbsDiff(logits, expected) / scale.item<float>(), 0, relativeTolerance);
    }
}
