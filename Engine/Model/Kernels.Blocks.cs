using OrleansLlm.Engine.Batching;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>The half-layer block functions of <c>Blocks.torchscript</c> (see there for the tensor order of a block).</summary>
internal static partial class Kernels
{
    public static (Tensor Q, Tensor Scale) QuantizeRows(Tensor w) => Unit.Call<(Tensor, Tensor)>("quantize_rows", w);

    public static Tensor Int8Linear(Tensor x, Tensor q, Tensor scale, Tensor bias, double threshold) =>
        Unit.Call<Tensor>("int8_linear", x, q, scale, bias, threshold);

    /// <summary>The residual stream after an attention block over a batch in a paged pool.</summary>
    public static Tensor AttentionBlockPaged(Tensor x, Tensor[] block, Tensor keys, Tensor values, BatchTensors b, Tensor cos,
        Tensor sin, long qHeads, long kvHeads, long headDim, double eps, double threshold) =>
        Unit.Call<Tensor>("attention_block_paged", x, block, 0L, keys, values, b.WriteSlots, cos, sin, (long)b.DecodeRows,
            b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK, (long)b.MaxQ, (long)b.MaxK, qHeads, kvHeads, headDim, eps, threshold);

    /// <summary>A tensor-parallel rank's partial sum of an attention block's heads.</summary>
    public static Tensor AttentionPartialBlock(Tensor x, Tensor[] block, Tensor keys, Tensor values, BatchTensors b, Tensor cos,
        Tensor sin, long qHeads, long kvHeads, long headDim, double eps, double threshold) =>
        Unit.Call<Tensor>("attention_partial_block", x, block, 0L, keys, values, b.WriteSlots, cos, sin, (long)b.DecodeRows,
            b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK, (long)b.MaxQ, (long)b.MaxK, qHeads, kvHeads, headDim, eps, threshold);

    /// <summary>The residual stream after an attention block over one sequence's contiguous cache.</summary>
    public static Tensor AttentionBlockCached(Tensor x, Tensor[] block, Tensor keys, Tensor values, Tensor cached, long start,
        Tensor positions, Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps, double threshold) =>
        Unit.Call<Tensor>("attention_block_cached", x, block, 0L, keys, values, cached, start, positions, cos, sin,
            qHeads, kvHeads, headDim, eps, threshold);

    public static Tensor MlpBlock(Tensor x, Tensor[] block, double eps, double threshold) =>
        Unit.Call<Tensor>("mlp_block", x, block, 0L, eps, threshold);

    public static Tensor MlpPartialBlock(Tensor x, Tensor[] block, double eps, double threshold) =>
        Unit.Call<Tensor>("mlp_partial_block", x, block, 0L, eps, threshold);

    /// <summary>Whole layers of resident blocks over a batch; <paramref name="weights"/> holds 14 tensors a layer.</summary>
    public static Tensor ForwardBlocks(Tensor x, Tensor[] weights, Tensor[] keys, Tensor[] values, BatchTensors b, Tensor cos,
        Tensor sin, long qHeads, long kvHeads, long headDim, double eps, double threshold) =>
        Unit.Call<Tensor>("forward_blocks", x, weights, keys, values, b.WriteSlots, cos, sin, (long)b.DecodeRows,
            b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK, (long)b.MaxQ, (long)b.MaxK, qHeads, kvHeads, headDim, eps, threshold);
}
