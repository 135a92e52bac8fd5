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

    public static Engine.Generation.SamplingOptions ToEngine(this SamplingSpec s) => new()
    {
        Temperature = s.Temperature, TopK = s.TopK, TopP = s.TopP, MinP = s.MinP, RepetitionPenalty = s.RepetitionPenalty,
        Seed = s.Seed,
    };

    public static SamplingSpec ToWire(this Engine.Generation.SamplingOptions o) =>
        new(o.Temperature, o.TopK, o.TopP, o.MinP, o.RepetitionPenalty, o.Seed ?? 0);

    public static Engine.Generation.SampleRow ToEngine(this TokenDraw d) => new(d.Options.ToEngine(), d.Draw, d.History);

    public static TokenDraw ToWire(this Engine.Generation.SampleRow r) => new(r.Options.ToWire(), r.Draw, r.History?.ToArray());

    public static SequenceStrategy ToEngine(this PrefillAlgorithm prefill) => prefill switch
    {
        PrefillAlgorithm.Ring => SequenceStrategy.Ring,
        PrefillAlgorithm.Striped => SequenceStrategy.Striped,
        PrefillAlgorithm.Runahead => SequenceStrategy.Runahead,
        _ => throw new OlmException($"unsupported prefill {prefill}"),
    };
}
