namespace OrleansLlm.Engine.Paged;

/// <summary>
/// Where a sequence's KV lives in a paged pool: its blocks in order. Token at position p sits in slot
/// blocks[p / size] · size + p mod size.
/// </summary>
public sealed class BlockTable(int blockSize)
{
    private readonly List<int> _blocks = [];

    public int BlockSize => blockSize;
    public IReadOnlyList<int> Blocks => _blocks;

    /// <summary>Tokens the blocks can hold.</summary>
    public int Capacity => _blocks.Count * blockSize;

    /// <summary>Blocks more needed to hold <paramref name="tokens"/> tokens in all.</summary>
    public int Missing(int tokens) => Math.Max(0, (tokens + blockSize - 1) / blockSize - _blocks.Count);

    public void Add(int block) => _blocks.Add(block);

    /// <summary>Whether it holds any block.</summary>
    public bool Any => _blocks.Count > 0;

    /// <summary>Gives every block up (the caller returns them to the allocator).</summary>
    public int[] Clear()
    {
        var all = _blocks.ToArray();
        _blocks.Clear();
        return all;
    }

    public static long Slot(IReadOnlyList<int> blocks, int blockSize, int position) =>
        (long)blocks[position / blockSize] * blockSize + position % blockSize;

    /// <summary>
    /// A sliding layer's slot of a position in a ring of <paramref name="ringBlocks"/> blocks (those it holds so far, in
    /// order): block p / size of the sequence lives in ring block (p / size) mod ringBlocks, so a position a window
    /// left behind is overwritten by one ringBlocks · size later.
    /// </summary>
    public static long RingSlot(IReadOnlyList<int> ring, int blockSize, int ringBlocks, int position) =>
        (long)ring[position / blockSize % ringBlocks] * blockSize + position % blockSize;
}
