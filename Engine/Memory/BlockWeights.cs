using static TorchSharp.torch;

namespace OrleansLlm.Engine.Memory;

/// <summary>
/// The weights of one half-layer block (TPI-LLM's unit) in the order the block kernels take them: norm, then each
/// projection as weight, scale (empty for a float weight) and bias (empty for none). It owns its tensors.
/// </summary>
public sealed class BlockWeights : IDisposable
{
    private readonly Tensor[] _owned;

    public BlockWeights(int block, Tensor[] kernel, IEnumerable<Tensor> owned)
    {
        if (kernel.Length != Size) throw new ArgumentException($"a block has {Size} kernel tensors, got {kernel.Length}");
        Block = block;
        Kernel = kernel;
        _owned = owned.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().ToArray();
        Bytes = _owned.Sum(t => t.NumberOfElements * t.ElementSize);
    }

    /// <summary>Tensors a block hands the kernels.</summary>
    public const int Size = 7;

    /// <summary>The block's index in its shard: 2·layer for attention, 2·layer + 1 for the MLP (layers counted from the slice's first).</summary>
    public int Block { get; private set; }

    /// <summary>These buffers, refilled with another block of the same kind (a weight window reuses what it freed).</summary>
    public BlockWeights Now(int block)
    {
        if (IsAttention(block) != IsAttention(Block)) throw new ArgumentException($"block {Block}'s buffers cannot hold block {block}");
        Block = block;
        return this;
    }

    public Tensor[] Kernel { get; }

    public long Bytes { get; }

    public static bool IsAttention(int block) => block % 2 == 0;

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
    }
}
