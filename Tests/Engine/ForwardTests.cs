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
}
