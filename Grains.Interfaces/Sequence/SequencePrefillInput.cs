namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A shard's part of a sequence-parallel prefill: its token ids at their global positions; the shard holding the last
/// position draws the first token as Sample says.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.SequencePrefillInput")]
public sealed record SequencePrefillInput(
    [property: Id(0)] int[] Ids,
    [property: Id(1)] long[] Positions,
    [property: Id(2)] int Capacity,
    [property: Id(3)] PrefillAlgorithm Algorithm,
    [property: Id(4)] long LastPosition,
    [property: Id(5)] TokenDraw Sample);
