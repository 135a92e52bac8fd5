namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// Tokens generated since the last chunk; the last chunk carries the stop reason and the timings. ElapsedMs is when
/// the request grain had the chunk's token, in ms since the request began (inter-token latency, free of how the client
/// pulls the stream).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.TokenChunk")]
public sealed record TokenChunk(
    [property: Id(0)] int[] Ids,
    [property: Id(1)] string Text,
    [property: Id(2)] string? StopReason = null,
    [property: Id(3)] GenerationStats? Stats = null,
    [property: Id(4)] double ElapsedMs = 0);
