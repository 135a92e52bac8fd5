namespace OrleansLlm.Engine.Paged;

/// <summary>
/// The free list of a paged KV pool's blocks. Block 0 is kept back as scratch (padding rows of a batch write there), so
/// a sequence's blocks are never 0. Not thread-safe: one scheduler owns it.
/// </summary>
public sealed class BlockAllocator
{
    private readonly Stack<int> _free;

    public BlockAllocator(int blocks)
    {
        if (blocks < 2) throw new ArgumentException($"a KV pool needs at least 2 blocks (one is scratch), got {blocks}");
        Total = blocks - 1;
        _free = new Stack<int>(Enumerable.Range(1, blocks - 1).Reverse());
    }

    /// <summary>Blocks sequences can use (the scratch block not counted).</summary>
    public int Total { get; }

    public int Free => _free.Count;
    public int Used => Total - Free;

    /// <summary>Takes one block, or -1 when none is free.</summary>
    public int Take() => _free.Count > 0 ? _free.Pop() : -1;

    public void Return(IEnumerable<int> blocks)
    {
        foreach (var b in blocks)
        {
            if (b < 1 || b > Total) throw new ArgumentOutOfRangeException(nameof(blocks), b, "not a block of this pool");
            _free.Push(b);
        }
    }
}
