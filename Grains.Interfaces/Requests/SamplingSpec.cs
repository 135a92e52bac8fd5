namespace OrleansLlm.Grains.Interfaces;

/// <summary>How a request's tokens are drawn: the options and the seed of its own generator.</summary>
[GenerateSerializer, Immutable, Alias("olm.SamplingSpec")]
public sealed record SamplingSpec(
    [property: Id(0)] double Temperature,
    [property: Id(1)] int TopK,
    [property: Id(2)] double TopP,
    [property: Id(3)] double MinP,
    [property: Id(4)] double RepetitionPenalty,
    [property: Id(5)] ulong Seed);
