namespace OrleansLlm.Grains.Interfaces;

/// <summary>A request's next token, with the figures of the batch that computed it.</summary>
[GenerateSerializer, Immutable, Alias("olm.TokenStep")]
public sealed record TokenStep(
    [property: Id(0)] int Token,
    [property: Id(1)] StepTimings Timings,
    [property: Id(2)] int BatchRows = 1);
