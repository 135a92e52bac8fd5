namespace OrleansLlm.Grains.Interfaces;

/// <summary>A shard's prefill: the logits of the prompt's last position if it holds it, and its busy time.</summary>
[GenerateSerializer, Immutable, Alias("olm.SequencePrefillResult")]
public sealed record SequencePrefillResult(
    [property: Id(0)] TensorBytes? Logits,
    [property: Id(1)] double BusyMs,
    [property: Id(2)] int Tokens,
    [property: Id(3)] int Messages,
    [property: Id(4)] long Bytes);
