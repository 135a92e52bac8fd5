namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A request's figures. Per-token means cover decode steps: compute (on stage masters' devices), all-reduce waiting
/// (which includes peers' compute skew and their messages), and the rest of the step time (messaging, serialization,
/// scheduling), with the messages and bytes shards sent per token. Compute and all-reduce figures are those of the
/// batches the request's steps rode in (shared with the other requests in them); BatchRowsPerStep is their mean size.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.GenerationStats")]
public sealed record GenerationStats(
    [property: Id(0)] int PromptTokens,
    [property: Id(1)] int GeneratedTokens,
    [property: Id(2)] double TimeToFirstTokenMs,
    [property: Id(3)] double DecodeTokensPerSecond,
    [property: Id(4)] double DecodeMsPerToken = 0,
    [property: Id(5)] double ComputeMsPerToken = 0,
    [property: Id(6)] double AllReduceWaitMsPerToken = 0,
    [property: Id(7)] double MessagesPerToken = 0,
    [property: Id(8)] double BytesPerToken = 0,
    [property: Id(9)] double[]? PrefillBusyMsPerShard = null,
    [property: Id(10)] int[]? PrefillTokensPerShard = null,
    [property: Id(11)] double BatchRowsPerStep = 0,
    [property: Id(12)] int Recoveries = 0);
