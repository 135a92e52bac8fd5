using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>The calls into <c>Sparse.torchscript</c>: a sparse shard's layers over a batch, or a tensor-parallel rank's partials.</summary>
internal static partial class Kernels
{
    public static Tensor Linear(Tensor x, Tensor w, Tensor b) => Unit.Call<Tensor>("linear", x, w, b);

    /// <summary>Layers of 9 tensors each (see Sparse.torchscript); <paramref name="mode"/> is a <see cref="Sparsity.SparsityMode"/>.</summary>
    public static Tensor ForwardSparse(Tensor x, Tensor[] weights, Tensor[] predictors, Tensor[] fixedChoice, Tensor[] keys,
        Tensor[] values, Batching.BatchTensors b, Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps,
        Tensor sparse, Tensor dense, long mode, long kNeurons, long kHeads, long chunk) =>
        Unit.Call<Tensor>("forward_sparse", x, weights, predictors, fixedChoice, keys, values, b.WriteSlots, cos, sin,
            (long)b.DecodeRows, b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK,
            (long)b.MaxQ, (long)b.MaxK, qHeads, kvHeads, headDim, eps, sparse, dense, mode, kNeurons, kHeads, chunk);

    /// <summary>A rank's share of a layer's choice for rows <paramref name="z"/>: masks of its neurons [f0, f1) and heads [h0, h1).</summary>
    public static (Tensor Neurons, Tensor Heads) LocalChoice(Tensor z, Tensor[] predictors, Tensor[] fixedChoice, long layer,
        long mode, long kNeurons, long kHeads, long ffn, long qHeads, long f0, long f1, long h0, long h1) =>
        Unit.Call<(Tensor, Tensor)>("local_choice", z, predictors, fixedChoice, layer, mode, kNeurons, kHeads, ffn, qHeads, f0, f1, h0, h1);

    /// <summary>A rank's sparse attention partial of one layer (9 tensors a layer in <paramref name="weights"/>), float32.</summary>
    public static Tensor SparseAttentionPartial(Tensor x, Tensor[] weights, int layer, Tensor keys, Tensor values,
        Batching.BatchTensors b, Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps, Tensor sparse,
        Tensor dense, Tensor heads, long mode) =>
        Unit.Call<Tensor>("sparse_attention_partial", x, weights, 9L * layer, keys, values, b.WriteSlots, cos, sin,
            (long)b.DecodeRows, b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK,
            (long)b.MaxQ, (long)b.MaxK, qHeads, kvHeads, headDim, eps, sparse, dense, heads, mode);

    /// <summary>A rank's sparse MLP partial of one layer, float32.</summary>
    public static Tensor SparseMlpPartial(Tensor x, Tensor[] weights, int layer, double eps, Tensor sparse, Tensor dense,
        Tensor neurons, long mode, long chunk) =>
        Unit.Call<Tensor>("sparse_mlp_partial", x, weights, 9L * layer, eps, sparse, dense, neurons, mode, chunk);
}
