using OrleansLlm.Engine.Model;
using OrleansLlm.Tests.Engine;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Gpu;

/// <summary>
/// The CUDA paths against independent references: the transformers fixtures and the float32 masked kernel on the host.
/// Skipped, with the reason, where no GPU is present (CI); CPU runs cover the same code through the CPU kernels.
/// </summary>
public class CudaTests
{
    private const string NoGpu = "no CUDA device here: the GPU paths run on the GPU machine";

    private static void RequireGpu() => Skip.IfNot(cuda.is_available(), NoGpu);

    [SkippableTheory, MemberData(nameof(ForwardTests.Fixtures), MemberType = typeof(ForwardTests))]
    public void Float32LogitsOnTheGpuMatchTransformers(string name)
    {
        RequireGpu();
        var f = new Fixture(name);
        using var model = f.LoadModel(device: "cuda:0");
        using var cache = model.NewCache(f.InputIds.Length);
        using var ids = tensor(f.InputIds);
        using var hidden = model.ForwardLayers(model.Embed(ids), cache);
        using var logits = model.Logits(hidden).cpu();
        using var expected = f.Expected("logits");
        Assert.InRange(Fixture.MaxAbsDiff(logits, expected), 0, 1e-3);
    }

    /// <summary>Flash (bfloat16) and memory-efficient (float32) kernels with their log-sum-exp, over every band shape.</summary>
    [SkippableTheory]
    [InlineData(ScalarType.BFloat16, 3e-2)]
    [InlineData(ScalarType.Float32, 1e-4)]
    public void FusedBandsOnTheGpuEqualTheMaskedKernel(ScalarType dtype, double tolerance)
    {
        RequireGpu();
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        foreach (var (sq, sk, offset) in new (long, long, long)[] { (64, 64, 0), (64, 64, -1), (40, 64, 24), (64, 40, 0), (1, 300, 299), (32, 32, 40) })
        {
            var q = randn([8, sq, 64], generator: g);
            var k = randn([2, sk, 64], generator: g);
            var v = randn([2, sk, 64], generator: g);
            var want = AttentionKernels.Masked(q, k, v, arange(sq).add(offset), arange(sk));
            var got = AttentionKernels.Banded(q.to(dtype).cuda(), k.to(dtype).cuda(), v.to(dtype).cuda(), offset);
            Assert.InRange(Fixture.MaxAbsDiff(got.Output.cpu(), want.Output), 0, tolerance);
            Assert.InRange(Fixture.MaxAbsDiff(got.Lse.cpu(), want.Lse), 0, tolerance);
        }
    }
}
