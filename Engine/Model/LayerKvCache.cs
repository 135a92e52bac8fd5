using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// Keys and values of one layer for the KV heads a shard holds, with the global position of every entry (a shard of a
/// sequence-parallel deployment holds positions that are neither contiguous nor starting at 0). Storage is allocated
/// up front for the capacity asked, so memory is known when a request is admitted, and grows by doubling only when a
/// caller appends past it.
/// </summary>
public sealed class LayerKvCache : IDisposable
{
    private Tensor _keys;      // [KV, capacity, D]
    private Tensor _values;    // [KV, capacity, D]
    private Tensor _positions; // [capacity] int64

    public LayerKvCache(long kvHeads, long headDim, long capacity, ScalarType dtype, Device device)
    {
        capacity = Math.Max(1, capacity);
        // The cache outlives any dispose scope of the forward pass that happens to create or grow it.
        _keys = empty([kvHeads, capacity, headDim], dtype, device).DetachFromDisposeScope();
        _values = empty([kvHeads, capacity, headDim], dtype, device).DetachFromDisposeScope();
        _positions = empty([capacity], ScalarType.Int64, device).DetachFromDisposeScope();
    }

    public long Length { get; private set; }
    public long Capacity => _keys.shape[1];
    public long Bytes => 2 * _keys.NumberOfElements * _keys.ElementSize + _positions.NumberOfElements * 8;

    /// <summary>Views of the filled part: keys and values [KV, Length, D], positions [Length].</summary>
    public Tensor Keys => _keys.narrow(1, 0, Length);
    public Tensor Values => _values.narrow(1, 0, Length);
    public Tensor Positions => _positions.narrow(0, 0, Length);

    /// <summary>Appends k, v [KV, S, D] at global positions [S].</summary>
    public void Append(Tensor k, Tensor v, Tensor positions)
    {
        var s = k.shape[1];
        Reserve(s);
        using (var kd = _keys.narrow(1, Length, s)) kd.copy_(k);
        using (var vd = _values.narrow(1, Length, s)) vd.copy_(v);
        using (var pd = _positions.narrow(0, Length, s)) pd.copy_(positions);
        Length += s;
    }

    /// <summary>
    /// The whole storage (keys, values, positions), for kernels that write the next <paramref name="count"/> entries
    /// themselves; room for them is made first, and <see cref="Commit"/> counts them once written.
    /// </summary>
    internal (Tensor Keys, Tensor Values, Tensor Positions) StorageFor(long count)
    {
        Reserve(count);
        return (_keys, _values, _positions);
    }

    internal void Commit(long count) => Length += count;

    private void Reserve(long count)
    {
        if (Length + count > Capacity) Grow(Math.Max(Length + count, 2 * Capacity));
    }

    /// <summary>Forgets entries from <paramref name="length"/> on (a cancelled or rolled-back step).</summary>
    public void Truncate(long length) => Length = Math.Clamp(length, 0, Length);

    private void Grow(long capacity)
    {
        _keys = Regrow(_keys, 1, capacity);
        _values = Regrow(_values, 1, capacity);
        _positions = Regrow(_positions, 0, capacity);
    }

    private Tensor Regrow(Tensor old, int dim, long capacity)
    {
        var shape = old.shape.ToArray();
        shape[dim] = capacity;
        var grown = empty(shape, old.dtype, old.device).DetachFromDisposeScope();
        using (var dst = grown.narrow(dim, 0, Length))
        using (var src = old.narrow(dim, 0, Length))
            dst.copy_(src);
        old.Dispose();
        return grown;
    }

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
        _positions.Dispose();
    }
}
