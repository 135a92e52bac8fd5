namespace OrleansLlm.Grains.Interfaces;

[GenerateSerializer, Immutable, Alias("olm.StepResult")]
public sealed record StepResult([property: Id(0)] TensorBytes Output, [property: Id(1)] StepTimings Timings);
