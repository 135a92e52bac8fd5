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

    public static Engine.Batching.BatchOutput ToEngine(this BatchItemOutput output) => output switch
    {
        BatchItemOutput.None => Engine.Batching.BatchOutput.None,
        BatchItemOutput.Next => Engine.Batching.BatchOutput.Next,
        BatchItemOutput.Score => Engine.Batching.BatchOutput.Score,
        _ => throw new OlmException($"unsupported batch output {output}"),
    };

    public static BatchItemOutput ToWire(this Engine.Batching.BatchOutput output) => output switch
    {
        Engine.Batching.BatchOutput.None => BatchItemOutput.None,
        Engine.Batching.BatchOutput.Next => BatchItemOutput.Next,
        Engine.Batching.BatchOutput.Score => BatchItemOutput.Score,
        _ => throw new OlmException($"unsupported batch output {output}"),
    };

    public static Engine.Generation.SampleRow ToEngine(this SamplingSpec s) => new(new Engine.Generation.SamplingOptions
    {
        Temperature = s.Temperature, TopK = s.TopK, TopP = s.TopP, MinP = s.MinP, RepetitionPenalty = s.RepetitionPenalty,
    }, s.Draw, s.History);

    public static SamplingSpec ToWire(this Engine.Generation.SampleRow r) => new(r.Options.Temperature, r.Options.TopK,
        r.Options.TopP, r.Options.MinP, r.Options.RepetitionPenalty, r.Draw, r.History?.ToArray());

    public static SequenceStrategy ToEngine(this PrefillAlgorithm prefill) => prefill switch
    {
        PrefillAlgorithm.Ring => SequenceStrategy.Ring,
        PrefillAlgorithm.Striped => SequenceStrategy.Striped,
        PrefillAlgorithm.Runahead => SequenceStrategy.Runahead,
        _ => throw new OlmException($"unsupported prefill {prefill}"),
    };
}
