namespace OrleansLlm.Grains.Interfaces;

/// <summary>A request's start on a deployment: its prompt, the most tokens it may hold, and how to draw its first token.</summary>
[GenerateSerializer, Immutable, Alias("olm.SequenceStart")]
public sealed record SequenceStart(
    [property: Id(0)] int[] Prompt,
    [property: Id(1)] int MaxTokens,
    [property: Id(2)] SamplingSpec Sample);
