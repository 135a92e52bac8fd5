namespace OrleansLlm.Grains.Interfaces;

[GenerateSerializer, Immutable, Alias("olm.PerplexityResult")]
public sealed record PerplexityResult([property: Id(0)] double Perplexity, [property: Id(1)] int Tokens);
