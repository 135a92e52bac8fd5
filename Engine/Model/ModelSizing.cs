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
        long perLayer = attention + 2 * h;
        long mlps = Enumerable.Range(s.LayerStart, s.LayerCount).Sum(l => c.Routes(l) ? RoutedElements(c, s)
            : 3 * h * ffn + (c.MlpBias ? 2 * ffn + (s.OwnsDownBias ? h : 0) : 0));
        long embedding = s.HasEmbedding ? (long)c.VocabSize * h : 0;
        var (v0, v1) = s.VocabRange(c);
        // A tied head beside its embedding is a view of it; otherwise its rows are read (a copy when tied).
        long headRows = c.TieWordEmbeddings && s.HasEmbedding ? 0 : (v1 - v0) * h;
        long head = s.HasHead ? h + headRows : 0;
        return (perLayer * s.LayerCount + mlps + embedding + head) * ElementSize(dtype);
    }

    /// <summary>Elements of a routed MLP's linears on a slice: every expert's gate, up and down over its neurons, and the router.</summary>
    private static long RoutedElements(ModelConfig c, ModelSlice s)
    {
        var (e0, e1) = s.ExpertRange(c);
        return c.Experts!.Count * (3L * c.HiddenSize * (e1 - e0) + c.HiddenSize);
    }

    /// <summary>
    /// Bytes of one half-layer block of a slice (TPI-LLM's unit): the attention half (input norm, q/k/v, o) or the MLP
    /// half (post norm, gate/up, down), with its biases. Int8 linears take a byte an element and a float32 scale a row.
    /// </summary>
    public static long BlockBytes(ModelConfig c, ModelSlice s, ScalarType dtype, bool int8, bool attention, int layer = 0)
    {
        long h = c.HiddenSize, d = c.HeadDim, g = c.GroupSize, kv = s.KvHeadCount, ffn = s.FfnCount;
        if (!attention && c.Routes(layer))
        {
            // Experts stacked: gate/up rows of every expert, down rows of every expert; the router stays float.
            var (e0, e1) = s.ExpertRange(c);
            long experts = c.Experts!.Count, n = e1 - e0;
            long Stacked(long rows, long cols) => int8 ? rows * cols + 4 * rows : rows * cols * ElementSize(dtype);
            return Stacked(experts * 2 * n, h) + Stacked(experts * h, n) + (experts * h + h) * ElementSize(dtype);
        }
        var (inRows, outCols, inBias, outBias) = attention
            ? (d * (kv * g + 2 * kv), kv * g * d, c.QkvBias, c.OutputBias && s.OwnsOutputBias)
            : (2 * ffn, ffn, c.MlpBias, c.MlpBias && s.OwnsDownBias);
        long Linear(long rows, long cols) => int8 ? rows * cols + 4 * rows : rows * cols * ElementSize(dtype);
        long vectors = h + (inBias ? inRows : 0) + (outBias ? h : 0);
        return Linear(inRows, h) + Linear(h, outCols) + vectors * ElementSize(dtype);
    }

    /// <summary>
    /// Bytes of a slice's weights as a shard holds them: float or int8 layers, all resident or a window of
    /// <paramref name="window"/> blocks (⌈window/2⌉ attention and MLP blocks' buffers), beside the embedding and head.
    /// </summary>
    public static long HeldBytes(ModelConfig c, ModelSlice s, ScalarType dtype, bool int8, int window)
    {
        if (!int8 && window == 0) return WeightBytes(c, s, dtype);
        var (attention, mlp) = (BlockBytes(c, s, dtype, int8, true), BlockBytes(c, s, dtype, int8, false));
        var layers = window > 0 ? Memory.WeightWindow.HeldFor((int)Math.Min(window, 2L * s.LayerCount), attention, mlp)
            : Enumerable.Range(s.LayerStart, s.LayerCount).Sum(l => attention + BlockBytes(c, s, dtype, int8, false, l));
        return ResidentBytes(c, s, dtype) + layers;
    }

    /// <summary>Bytes of the parts a shard always holds whole: embedding, final norm and head rows.</summary>
    public static long ResidentBytes(ModelConfig c, ModelSlice s, ScalarType dtype) =>
        WeightBytes(c, s with { LayerStart = 0, LayerEnd = 0 }, dtype);

    public static long KvBytes(ModelConfig c, ModelSlice s, long tokens, ScalarType dtype) =>
        KvCache.BytesFor(s.LayerCount, s.KvHeadCount, c.HeadDim, tokens, dtype);

    /// <summary>Bytes one token takes in a slice's paged KV pool.</summary>
    public static long PoolBytesPerToken(ModelConfig c, ModelSlice s, ScalarType dtype) =>
        Paged.PagedKvPool.BytesFor(s.LayerCount, s.KvHeadCount, c.HeadDim, 1, dtype);

    /// <summary>Bytes one token takes in a slice's layers that slide (their rings) and in the others.</summary>
    public static (long Global, long Local) PoolBytesPerTokenByKind(ModelConfig c, ModelSlice s, ScalarType dtype)
    {
        var local = Enumerable.Range(s.LayerStart, s.LayerCount).Count(l => c.WindowOf(l) > 0);
        return (Paged.PagedKvPool.BytesFor(s.LayerCount - local, s.KvHeadCount, c.HeadDim, 1, dtype),
            Paged.PagedKvPool.BytesFor(local, s.KvHeadCount, c.HeadDim, 1, dtype));
    }

    /// <summary>Bytes of a slice's pool of <paramref name="blocks"/> blocks, its sliding layers holding <paramref name="localBlocks"/>.</summary>
    public static long PoolBytes(ModelConfig c, ModelSlice s, ScalarType dtype, int blocks, int localBlocks, int blockSize)
    {
        var (global, local) = PoolBytesPerTokenByKind(c, s, dtype);
        return ((long)blocks * global + (long)localBlocks * local) * blockSize;
    }
}
