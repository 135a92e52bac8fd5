using OrleansLlm.Engine.Model.Script;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// One batched step as every form reads it (built by <see cref="Batching.BatchTensors"/> and the shard's RoPE): the
/// rows' RoPE tables (global, and local for families whose local layers rotate with another base), the KV slots this
/// step writes, the decode rows' gathers, mask and additive bias (and the bias of sliding layers, which also hides keys
/// before the window; empty when no layer slides), the prefill chunks ([C, 2] host rows of first row and
/// length), their keys (end to end, with the cumulative counts one variable-length call takes), which rows decode
/// sparsely (a sparse shard) and which stay dense; and the slots, decode gathers and chunk keys of sliding layers, which
/// keep each sequence's KV in a ring of their own pool (the others' where none has a ring).
/// </summary>
internal sealed record Step(Tensor Cos, Tensor Sin, Tensor CosLocal, Tensor SinLocal, Tensor WriteSlots, long DecodeRows,
    Tensor DecodeGather, Tensor DecodeMask, Tensor DecodeBias, Tensor DecodeBiasLocal, Tensor Chunks, Tensor[] ChunkGathers, Tensor ChunkKeys, Tensor CuQ,
    Tensor CuK, long MaxQ, long MaxK, Tensor SparseRows, Tensor DenseRows, Tensor WriteSlotsLocal, Tensor DecodeGatherLocal,
    Tensor[] ChunkGathersLocal, Tensor ChunkKeysLocal) : IScriptRecord;
