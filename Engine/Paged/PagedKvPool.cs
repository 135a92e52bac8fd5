using static TorchSharp.torch;

namespace OrleansLlm.Engine.Paged;

/// <summary>
/// A shard's KV cache for every sequence it serves: per layer, keys and values [KV, blocks · blockSize, D] on the
/// device, addressed by slot (see <see cref="BlockTable"/>). Allocated once, at load, so memory is known up front and
/// requests take blocks rather than reserve their whole length.
/// </summary>
public sealed class PagedKvPool : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private readonly bool _owns = true;

    private PagedKvPool(Tensor[] keys, Tensor[] values, int blockSize)
    {
        (_keys, _values, _owns) = (keys, values, false);
        (Blocks, BlockSize) = ((int)(keys.Length == 0 ? 0 : keys[0].shape[1] / blockSize), blockSize);
    }

    /// <summary>A pool over storage someone else holds (one sequence's contiguous cache, as blocks of one token); not freed with it.</summary>
    public static PagedKvPool Over(Tensor[] keys, Tensor[] values, int blockSize) => new(keys, values, blockSize);

    public PagedKvPool(int layers, long kvHeads, long headDim, int blocks, int blockSize, ScalarType dtype, Device device)
        : this(Enumerable.Repeat(blocks, layers).ToArray(), kvHeads, headDim, blockSize, dtype, device) { }

    /// <summary>
    /// A pool whose layers hold <paramref name="layerBlocks"/> blocks each: sliding layers, which keep each sequence's
    /// KV in a ring (<see cref="BlockTable.RingSlot"/>), fewer than the others.
    /// </summary>
    public PagedKvPool(int[] layerBlocks, long kvHeads, long headDim, int blockSize, ScalarType dtype, Device device)
    {
        var layers = layerBlocks.Length;
        (Blocks, BlockSize) = (layers == 0 ? 0 : layerBlocks.Max(), blockSize);
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        try
        {
            for (var i = 0; i < layers; i++)
            {
                _keys[i] = zeros([kvHeads, (long)layerBlocks[i] * blockSize, headDim], dtype, device).DetachFromDisposeScope();
                _values[i] = zeros([kvHeads, (long)layerBlocks[i] * blockSize, headDim], dtype, device).DetachFromDisposeScope();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Blocks { get; }
    public int BlockSize { get; }
    public IReadOnlyList<Tensor> Keys => _keys;
    public IReadOnlyList<Tensor> Values => _values;

    /// <summary>Bytes of the pool's keys and values.</summary>
    public long Bytes => _keys.Concat(_values).Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>Bytes of a pool of this shape, to plan it before allocating.</summary>
    public static long BytesFor(int layers, long kvHeads, long headDim, long tokens, ScalarType dtype) =>
        2L * layers * kvHeads * tokens * headDim * Model.ModelSizing.ElementSize(dtype);

    public void Dispose()
    {
        if (!_owns) return;
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
    }
}
