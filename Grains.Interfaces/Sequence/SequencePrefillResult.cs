namespace OrleansLlm.Grains.Interfaces;

/// <summary>A shard's prefill: the first generated token if it holds the prompt's last position (else −1), and its busy time.</summary>
[GenerateSerializer, Immutable, Alias("olm.SequencePrefillResult")]
public sealed record SequencePrefillResult(
    [property: Id(0)] int Token,
    [property: Id(1)] double BusyMs,
    [property: Id(2)] int Tokens,
    [property: Id(3)] int Messages,
    [property: Id(4)] long Bytes);
