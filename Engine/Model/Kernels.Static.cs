using OrleansLlm.Engine.Batching;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>The pieces of <c>Static.torchscript</c> around llm.npu's static int8 linears.</summary>
internal static partial class Kernels
{
    public static (Tensor Xq, Tensor Remainder) StaticSplit(Tensor x, Tensor scale, Tensor channels) =>
        Unit.Call<(Tensor, Tensor)>("static_split", x, scale, channels);

    public static Tensor StaticMain(Tensor xq, Tensor q, Tensor s, Tensor scale) =>
        Unit.Call<Tensor>("static_main", xq, q, s, scale);

    /// <summary>Attention from a qkv projection over a batch in a paged pool: the heads flattened [T, Hq·D] in <paramref name="dtype"/>.</summary>
    public static Tensor QkvAttendPaged(Tensor qkv, Tensor keys, Tensor values, BatchTensors b, Tensor cos, Tensor sin, long qHeads,
        long kvHeads, long headDim, ScalarType dtype) =>
        Unit.Call<Tensor>("qkv_attend_paged", qkv, keys, values, b.WriteSlots, cos, sin, (long)b.DecodeRows, b.DecodeGather,
            b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK, (long)b.MaxQ, (long)b.MaxK, qHeads, kvHeads, headDim, (long)dtype);

    /// <summary>Attention of one whole sequence from its qkv projection.</summary>
    public static Tensor QkvAttendCausal(Tensor qkv, Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, ScalarType dtype) =>
        Unit.Call<Tensor>("qkv_attend_causal", qkv, cos, sin, qHeads, kvHeads, headDim, (long)dtype);

    public static Tensor SwiGlu(Tensor gateUp) => Unit.Call<Tensor>("swiglu", gateUp);
}
