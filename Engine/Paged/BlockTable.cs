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

    /// <summary>Gives every block up (the caller returns them to the allocator).</summary>
    public int[] Clear()
    {
        var all = _blocks.ToArray();
        _blocks.Clear();
        return all;
    }

    public static long Slot(IReadOnlyList<int> blocks, int blockSize, int position) =>
        (long)blocks[position / blockSize] * blockSize + position % blockSize;
}
