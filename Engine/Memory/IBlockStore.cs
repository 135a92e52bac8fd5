namespace OrleansLlm.Engine.Memory;

/// <summary>
/// Where a shard's compute gets its blocks, in order: every block resident, or a sliding window that streams them in.
/// A forward takes a block, runs it, and gives it back before taking the next.
/// </summary>
public interface IBlockStore : IDisposable
{
    int Count { get; }

    /// <summary>The block's weights, waiting for them if they are still loading; rethrows a failed load.</summary>
    BlockWeights Acquire(int block);

    /// <summary>The compute is done with the block: a window frees it and starts loading the next one it will need.</summary>
    void Release(int block);

    /// <summary>Bytes of weights held at most (all blocks, or the window's capacity).</summary>
    long HeldBytes { get; }

    WindowStats Stats { get; }
}
