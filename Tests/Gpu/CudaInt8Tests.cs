using OrleansLlm.Engine.Quantization;
using OrleansLlm.Tests.Engine;
using OrleansLlm.Tests.Int8;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Gpu;

/// <summary>
/// LLM.int8() on CUDA against the float64 reference: more than 16 rows take int8 × int8 with the decomposition, fewer
/// the weight-only kernel (which does not quantize activations: checked against the dequantized product). Skipped,
/// with the reason, where no GPU is present.
/// </summary>
public class CudaInt8Tests
{
    [SkippableTheory]
    [InlineData(32, 6.0)]
    [InlineData(64, double.PositiveInfinity)]
    public void Int8TimesInt8OnTheGpuEqualsTheReference(int rows, double threshold)
    {
        Skip.IfNot(cuda.is_available(), "no CUDA device here: the GPU paths run on the GPU machine");
        using var scope = NewDisposeScope();
        var x = randn(rows, 64, generator: new TorchSharp.torch.Generator(2));
        x.index_put_(randn(rows, generator: new TorchSharp.torch.Generator(3)).mul(9), TensorIndex.Colon, TensorIndex.Single(7));
        var (q, s) = Int8Weights.Quantize(randn(48, 64, generator: new TorchSharp.torch.Generator(4)));
        var got = Int8Weights.Linear(x.cuda(), q.cuda(), s.cuda(), null, threshold).cpu();
        var want = Int8Reference.Linear(x, q, s, null, threshold);
        Assert.InRange(Fixture.MaxAbsDiff(got, want) / want.abs().max().item<double>(), 0, 1e-5);
    }

    [SkippableFact]
    public void DecodeRowsTakeTheWeightOnlyKernel()
    {
        Skip.IfNot(cuda.is_available(), "no CUDA device here: the GPU paths run on the GPU machine");
        using var scope = NewDisposeScope();
        var x = randn(1, 64, generator: new TorchSharp.torch.Generator(5));
        var (q, s) = Int8Weights.Quantize(randn(48, 64, generator: new TorchSharp.torch.Generator(6)));
        var got = Int8Weights.Linear(x.cuda(), q.cuda(), s.cuda(), null, 6.0).cpu();
        var want = x.to(ScalarType.Float64).matmul(q.to(ScalarType.Float64).mul(s.to(ScalarType.Float64).unsqueeze(1)).t());
        Assert.InRange(Fixture.MaxAbsDiff(got, want) / want.abs().max().item<double>(), 0, 1e-5);
    }
}
