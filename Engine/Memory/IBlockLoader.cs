namespace OrleansLlm.Engine.Memory;

/// <summary>Reads a shard's half-layer blocks from wherever its weights are (a checkpoint on disk, a peer, random weights).</summary>
public interface IBlockLoader : IDisposable
{
    /// <summary>Blocks of the shard: two a layer.</summary>
    int Count { get; }

    /// <summary>
    /// Loads block <paramref name="block"/> onto the shard's device; the caller owns the result. <paramref name="reuse"/>,
    /// a freed block of the same kind, is taken over: refilled and returned, or disposed.
    /// </summary>
    BlockWeights Load(int block, BlockWeights? reuse = null);
}
