using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>RMSNorm as Llama computes it: statistics in float32, the weight applied in the model's dtype.</summary>
public static class RmsNorm
{
    public static Tensor Apply(Tensor x, Tensor weight, double eps)
    {
        using var scope = NewDisposeScope();
        using var epsilon = eps.ToScalar();
        using var two = 2.ToScalar();
        var x32 = x.to(ScalarType.Float32);
        var normed = x32.mul(x32.pow(two).mean([-1L], keepdim: true).add(epsilon).rsqrt());
        return weight.mul(normed.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
