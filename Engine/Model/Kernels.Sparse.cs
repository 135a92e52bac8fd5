using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>The call into <c>Sparse.torchscript</c>: a sparse shard's layers over a batch.</summary>
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
}
