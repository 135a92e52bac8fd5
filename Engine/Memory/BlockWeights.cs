using OrleansLlm.Engine.Model.Layers;
using OrleansLlm.Engine.Model.Script;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Memory;

/// <summary>
/// One half-layer block (TPI-LLM's unit): a layer's attention half (<see cref="Attn"/>, even blocks) or MLP half
/// (<see cref="Mlp"/>, odd blocks) as the layer reads it. It owns its tensors.
/// </summary>
public sealed class BlockWeights : IDisposable
{
    private readonly Tensor[] _owned;

    internal BlockWeights(int block, IScriptRecord half, IEnumerable<Tensor> owned)
    {
        Block = block;
        Half = half;
        _owned = owned.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().Where(t => !ReferenceEquals(t, Lin.None)).ToArray();
        Bytes = _owned.Sum(t => t.NumberOfElements * t.ElementSize);
    }

    /// <summary>The block's index in its shard: 2·layer for attention, 2·layer + 1 for the MLP (layers counted from the slice's first).</summary>
    public int Block { get; private set; }

    /// <summary>The half as the layer reads it: an <see cref="Attn"/> or an <see cref="Mlp"/>.</summary>
    internal IScriptRecord Half { get; private set; }

    /// <summary>
    /// These buffers, refilled with another block of the same kind (a weight window reuses what it freed); the half's
    /// scalars (an attention layer's window and RoPE table) become the new block's.
    /// </summary>
    internal BlockWeights Now(int block, IScriptRecord half)
    {
        if (IsAttention(block) != IsAttention(Block)) throw new ArgumentException($"block {Block}'s buffers cannot hold block {block}");
        Block = block;
        Half = half;
        return this;
    }

    public long Bytes { get; }

    public static bool IsAttention(int block) => block % 2 == 0;

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
    }
}
