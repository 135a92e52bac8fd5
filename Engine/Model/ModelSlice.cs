using OrleansLlm.Engine.Config;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// The part of a model one shard holds: a range of layers (pipeline), within them a range of KV-head groups with their
/// query heads and a range of FFN columns (tensor parallel), and whether it holds the embedding and the output head.
/// </summary>
public sealed record ModelSlice
{
    public required int LayerStart { get; init; }
    public required int LayerEnd { get; init; }
    public required int KvHeadStart { get; init; }
    public required int KvHeadEnd { get; init; }
    public required int FfnStart { get; init; }
    public required int FfnEnd { get; init; }
    public bool HasEmbedding { get; init; } = true;
    public bool HasHead { get; init; } = true;
    /// <summary>Rows of the output head this slice computes (vocabulary-parallel head); null for all of them.</summary>
    public int? VocabStart { get; init; }
    public int? VocabEnd { get; init; }

    public int LayerCount => LayerEnd - LayerStart;
    public int KvHeadCount => KvHeadEnd - KvHeadStart;
    public int FfnCount => FfnEnd - FfnStart;

    /// <summary>Biases of row-parallel outputs (o_proj, down_proj) are added once: by the slice that starts at 0.</summary>
    public bool OwnsOutputBias => KvHeadStart == 0;
    public bool OwnsDownBias => FfnStart == 0;

    public static ModelSlice Full(ModelConfig c) => new()
    {
        LayerStart = 0, LayerEnd = c.NumLayers, KvHeadStart = 0, KvHeadEnd = c.NumKvHeads,
        FfnStart = 0, FfnEnd = c.IntermediateSize,
    };

    public bool CoversAllHeadsAndColumns(ModelConfig c) =>
        KvHeadStart == 0 && KvHeadEnd == c.NumKvHeads && FfnStart == 0 && FfnEnd == c.IntermediateSize;

    /// <summary>
    /// This slice's neurons of every expert of a routed layer: its FFN range scaled from intermediate_size to the
    /// experts' size, so the ranges of a stage's ranks tile each expert as they tile a dense MLP.
    /// </summary>
    public (int Start, int End) ExpertRange(ModelConfig c) => c.Experts is { } e
        ? ((int)((long)FfnStart * e.ExpertSize / c.IntermediateSize), (int)((long)FfnEnd * e.ExpertSize / c.IntermediateSize))
        : (FfnStart, FfnEnd);

    public (int Start, int End) VocabRange(ModelConfig c) => (VocabStart ?? 0, VocabEnd ?? c.VocabSize);

    public void Validate(ModelConfig c)
    {
        var (v0, v1) = VocabRange(c);
        Check(0 <= v0 && v0 < v1 && v1 <= c.VocabSize, $"vocabulary rows [{v0}, {v1})", c.VocabSize);
        Check(0 <= LayerStart && LayerStart < LayerEnd && LayerEnd <= c.NumLayers, $"layers [{LayerStart}, {LayerEnd})", c.NumLayers);
        Check(0 <= KvHeadStart && KvHeadStart < KvHeadEnd && KvHeadEnd <= c.NumKvHeads, $"KV heads [{KvHeadStart}, {KvHeadEnd})", c.NumKvHeads);
        Check(0 <= FfnStart && FfnStart < FfnEnd && FfnEnd <= c.IntermediateSize, $"FFN columns [{FfnStart}, {FfnEnd})", c.IntermediateSize);
        var (e0, e1) = ExpertRange(c);
        if (c.Experts is { } e) Check(e0 < e1, $"expert neurons [{e0}, {e1})", e.ExpertSize);
    }

    private static void Check(bool ok, string what, int limit)
    {
        if (!ok) throw new ArgumentException($"invalid slice: {what} is empty or outside [0, {limit})");
    }

    public override string ToString() =>
        $"layers {LayerStart}..{LayerEnd}, kv heads {KvHeadStart}..{KvHeadEnd}, ffn {FfnStart}..{FfnEnd}" +
        (HasEmbedding ? ", embedding" : "") + (HasHead ? VocabStart is null ? ", head" : $", head rows {VocabStart}..{VocabEnd}" : "");
}
