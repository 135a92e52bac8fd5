namespace OrleansLlm.Grains.Interfaces;

/// <summary>The engine's ModelSlice in wire form.</summary>
[GenerateSerializer, Immutable, Alias("olm.SliceSpec")]
public sealed record SliceSpec(
    [property: Id(0)] int LayerStart, [property: Id(1)] int LayerEnd,
    [property: Id(2)] int KvHeadStart, [property: Id(3)] int KvHeadEnd,
    [property: Id(4)] int FfnStart, [property: Id(5)] int FfnEnd,
    [property: Id(6)] bool HasEmbedding, [property: Id(7)] bool HasHead,
    [property: Id(8)] int? VocabStart = null, [property: Id(9)] int? VocabEnd = null);
