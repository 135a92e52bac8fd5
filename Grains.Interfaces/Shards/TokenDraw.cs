namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// How to draw one token: the request's options, the uniform value its generator made for this token (so the token
/// does not depend on which batch computed it), and the tokens so far where the repetition penalty needs them.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.TokenDraw")]
public sealed record TokenDraw(
    [property: Id(0)] SamplingSpec Options,
    [property: Id(1)] double Draw,
    [property: Id(2)] int[]? History = null);
