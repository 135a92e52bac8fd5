namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A request's start on a deployment: its prompt, and its plan: at most MaxNewTokens tokens, ending after any of the
/// EOS ids, drawn as Sampling says after skipping SkipDraws draws (a request resumed elsewhere continues its draws).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.SequenceStart")]
public sealed record SequenceStart(
    [property: Id(0)] int[] Prompt,
    [property: Id(1)] int MaxNewTokens,
    [property: Id(2)] int[] EosTokenIds,
    [property: Id(3)] SamplingSpec Sampling,
    [property: Id(4)] int SkipDraws = 0);
