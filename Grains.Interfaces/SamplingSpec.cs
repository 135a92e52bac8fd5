namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// How to draw a request's next token: the options, and the uniform draw its own seeded generator made for this token
/// (so the token does not depend on which batch computed it). History is the sequence so far, sent only where no shard
/// knows it (sequence parallel) and the repetition penalty is on.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.SamplingSpec")]
public sealed record SamplingSpec(
    [property: Id(0)] double Temperature,
    [property: Id(1)] int TopK,
    [property: Id(2)] double TopP,
    [property: Id(3)] double MinP,
    [property: Id(4)] double RepetitionPenalty,
    [property: Id(5)] double Draw,
    [property: Id(6)] int[]? History = null);
