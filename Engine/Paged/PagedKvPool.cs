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
    {
        (Blocks, BlockSize) = (blocks, blockSize);
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        try
        {
            for (var i = 0; i < layers; i++)
            {
                _keys[i] = zeros([kvHeads, (long)blocks * blockSize, headDim], dtype, device).DetachFromDisposeScope();
                _values[i] = zeros([kvHeads, (long)blocks * blockSize, headDim], dtype, device).DetachFromDisposeScope();
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

    /// <summary>Bytes of a pool of this shape, to plan it before allocating.</summary>
    public static long BytesFor(int layers, long kvHeads, long headDim, long tokens, ScalarType dtype) =>
        2L * layers * kvHeads * tokens * headDim * Model.ModelSizing.ElementSize(dtype);

    public void Dispose()
    {
        if (!_owns) return;
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
    }
}
