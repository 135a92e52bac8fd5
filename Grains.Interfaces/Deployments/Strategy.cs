namespace OrleansLlm.Grains.Interfaces;

/// <summary>How a deployment spreads a model over its shards.</summary>
[GenerateSerializer, Alias("olm.Strategy")]
public enum Strategy
{
    /// <summary>One shard holds the whole model.</summary>
    [Names("single")] Single,
    /// <summary>Every layer's KV-head groups, FFN columns and head rows split over the shards; two all-reduces a layer.</summary>
    [Names("tensor")] Tensor,
    /// <summary>Contiguous layer ranges, one per shard.</summary>
    [Names("pipeline")] Pipeline,
    /// <summary>Pipeline stages of tensor-parallel groups.</summary>
    [Names("pipeline,tensor", "hybrid")] PipelineTensor,
    /// <summary>Every shard holds the whole model; the prompt and its KV cache are split.</summary>
    [Names("sequence")] Sequence,
}
