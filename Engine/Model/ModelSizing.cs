using OrleansLlm.Engine.Config;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>Bytes a slice needs, known from the config alone, so a plan can be refused before any weight is read.</summary>
public static class ModelSizing
{
    public static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.Float64 => 8,
        _ => 2,
    };

    public static long WeightBytes(ModelConfig c, ModelSlice s, ScalarType dtype)
    {
        long h = c.HiddenSize, d = c.HeadDim, g = c.GroupSize;
        long kv = s.KvHeadCount, ffn = s.FfnCount;
        long attention = h * d * (kv * g + 2 * kv) + h * kv * g * d + (c.QkvBias ? d * (kv * g + 2 * kv) : 0)
                         + (c.OutputBias && s.OwnsOutputBias ? h : 0);
        long mlp = 3 * h * ffn + (c.MlpBias ? 2 * ffn + (s.OwnsDownBias ? h : 0) : 0);
        long perLayer = attention + mlp + 2 * h;
        long embedding = s.HasEmbedding ? (long)c.VocabSize * h : 0;
        var (v0, v1) = s.VocabRange(c);
        // A tied head beside its embedding is a view of it; otherwise its rows are read (a copy when tied).
        long headRows = c.TieWordEmbeddings && s.HasEmbedding ? 0 : (v1 - v0) * h;
        long head = s.HasHead ? h + headRows : 0;
        return (perLayer * s.LayerCount + embedding + head) * ElementSize(dtype);
    }

    public static long KvBytes(ModelConfig c, ModelSlice s, long tokens, ScalarType dtype) =>
        KvCache.BytesFor(s.LayerCount, s.KvHeadCount, c.HeadDim, tokens, dtype);

    /// <summary>Bytes one token takes in a slice's paged KV pool.</summary>
    public static long PoolBytesPerToken(ModelConfig c, ModelSlice s, ScalarType dtype) =>
        Paged.PagedKvPool.BytesFor(s.LayerCount, s.KvHeadCount, c.HeadDim, 1, dtype);
}
