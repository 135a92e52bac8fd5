using OrleansLlm.Engine.Sequence;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Compute;

/// <summary>The closed sets of the wire as the engine's own types.</summary>
public static class EngineTypes
{
    public static ScalarType ToScalarType(this DType dtype) => dtype switch
    {
        DType.Float32 => ScalarType.Float32,
        DType.BFloat16 => ScalarType.BFloat16,
        DType.Float16 => ScalarType.Float16,
        _ => throw new OlmException($"unsupported dtype {dtype}"),
    };

    public static SequenceStrategy ToEngine(this PrefillAlgorithm prefill) => prefill switch
    {
        PrefillAlgorithm.Ring => SequenceStrategy.Ring,
        PrefillAlgorithm.Striped => SequenceStrategy.Striped,
        PrefillAlgorithm.Runahead => SequenceStrategy.Runahead,
        _ => throw new OlmException($"unsupported prefill {prefill}"),
    };
}
