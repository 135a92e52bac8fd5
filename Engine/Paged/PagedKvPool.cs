using static TorchSharp.torch;

namespace OrleansLlm.Engine.Paged;

/// <summary>
/// A shard's KV cache for every sequence it serves: per layer, keys and values [KV, blocks · blockSize, D] on the
/// device, addressed by slot (see <see cref="BlockTable"/>). Reserved once, at load, so memory is known up front and
/// requests take blocks rather than reserve their whole length.
/// <para>On the CPU the pool grows on demand: its storage is allocated but not written (the system commits a page when
/// it is first touched), and a block is zeroed when a batch first reaches it (<see cref="Reach"/>). Blocks are handed out
/// lowest first (<see cref="BlockAllocator"/>), so the memory a process holds follows the most KV it ever held rather
/// than the reservation. Zeroed rather than left as found: today's kernels gather only written slots, but one that reads
/// whole blocks (a tail past a sequence's end under a zero weight) would turn reused memory's NaN into a NaN row
/// (0 × NaN). A GPU pool is committed at allocation anyway and is zeroed then.</para>
/// </summary>
public sealed class PagedKvPool : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private readonly bool _owns = true;
    private readonly bool[] _ring = [];
    private readonly int[] _zeroed = [];
    private readonly long[] _blockBytes = []; // keys and values of one block, per layer: read without the tensors

    private PagedKvPool(Tensor[] keys, Tensor[] values, int blockSize)
    {
        (_keys, _values, _owns) = (keys, values, false);
        (Blocks, BlockSize) = ((int)(keys.Length == 0 ? 0 : keys[0].shape[1] / blockSize), blockSize);
        _ring = new bool[keys.Length];
        _zeroed = keys.Select(k => (int)(k.shape[1] / blockSize)).ToArray();
        _blockBytes = keys.Select(k => 2L * blockSize * k.shape[0] * k.shape[2] * k.ElementSize).ToArray();
    }

    /// <summary>A pool over storage someone else holds (one sequence's contiguous cache, as blocks of one token); not freed with it.</summary>
    public static PagedKvPool Over(Tensor[] keys, Tensor[] values, int blockSize) => new(keys, values, blockSize);

    public PagedKvPool(int layers, long kvHeads, long headDim, int blocks, int blockSize, ScalarType dtype, Device device)
        : this(Enumerable.Repeat(blocks, layers).ToArray(), new bool[layers], kvHeads, headDim, blockSize, dtype, device) { }

    /// <summary>
    /// A pool whose layers hold <paramref name="layerBlocks"/> blocks each: sliding layers whose sequences keep their KV
    /// in a ring (<see cref="BlockTable.RingSlot"/>, marked in <paramref name="ring"/>) fewer than the others.
    /// </summary>
    public PagedKvPool(int[] layerBlocks, bool[] ring, long kvHeads, long headDim, int blockSize, ScalarType dtype, Device device)
    {
        var layers = layerBlocks.Length;
        (Blocks, BlockSize, _ring) = (layers == 0 ? 0 : layerBlocks.Max(), blockSize, ring);
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        _zeroed = new int[layers];
        _blockBytes = Enumerable.Repeat(2L * blockSize * kvHeads * headDim * Model.ModelSizing.ElementSize(dtype), layers).ToArray();
        var lazy = device.type == TorchSharp.DeviceType.CPU;
        try
        {
            for (var i = 0; i < layers; i++)
            {
                long[] shape = [kvHeads, (long)layerBlocks[i] * blockSize, headDim];
                _keys[i] = (lazy ? empty(shape, dtype, device) : zeros(shape, dtype, device)).DetachFromDisposeScope();
                _values[i] = (lazy ? empty(shape, dtype, device) : zeros(shape, dtype, device)).DetachFromDisposeScope();
                _zeroed[i] = lazy ? 0 : layerBlocks[i];
            }
            // Block 0 is the scratch block padded rows write and read.
            Reach(1, 1);
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

    /// <summary>
    /// Makes blocks below <paramref name="blocks"/> (and below <paramref name="ringBlocks"/> in ring layers) ready to
    /// read: zeroes those a batch reaches for the first time. Call on the device thread before a forward over them.
    /// </summary>
    public void Reach(int blocks, int ringBlocks)
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            var need = Math.Min(_ring[i] ? ringBlocks : blocks, (int)(_keys[i].shape[1] / BlockSize));
            if (need <= _zeroed[i]) continue;
            long from = (long)_zeroed[i] * BlockSize, count = (long)(need - _zeroed[i]) * BlockSize;
            using (var k = _keys[i].narrow(1, from, count)) k.zero_();
            using (var v = _values[i].narrow(1, from, count)) v.zero_();
            _zeroed[i] = need;
        }
    }

    /// <summary>
    /// Bytes of the pool in memory: the blocks batches have reached so far (all of a GPU pool). Safe from any thread,
    /// also while the pool is being disposed (a status call or a metrics scrape during an unload).
    /// </summary>
    public long ResidentBytes => _zeroed.Select((z, i) => z * _blockBytes[i]).Sum();

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
