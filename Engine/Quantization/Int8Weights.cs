using OrleansLlm.Engine.Model.Layers;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Quantization;

/// <summary>Weights as int8 rows with a float32 scale each (absmax / 127), LLM.int8()'s vector-wise quantization.</summary>
public static class Int8Weights
{
    /// <summary>w [N, K] (any float dtype) as q [N, K] int8 and scale [N] float32, on w's device; w is left as it is.</summary>
    public static (Tensor Q, Tensor Scale) Quantize(Tensor w) => LayerCalls.QuantizeRows(w);

    /// <summary>LLM.int8()'s product x [M, K] · dequantized(q)ᵀ (+ bias) in x's dtype, as an int8 layer computes it.</summary>
    public static Tensor Linear(Tensor x, Tensor q, Tensor scale, Tensor? bias, double threshold) =>
        LayerCalls.Int8Linear(x, q, scale, bias, threshold);
}
