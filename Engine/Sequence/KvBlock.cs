using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sequence;

/// <summary>
/// Keys and values [KV, S, D] of one layer for some tokens, with their global positions [S] (ascending) and the first
/// of them on the host, so deciding whether a block is visible needs no device synchronisation.
/// </summary>
public sealed class KvBlock(Tensor keys, Tensor values, Tensor positions, long firstPosition) : IDisposable
{
    /// <summary>The smallest position in the block; long.MaxValue when it is empty.</summary>
    public long FirstPosition { get; } = firstPosition;

    public Tensor Keys { get; } = keys;
    public Tensor Values { get; } = values;
    public Tensor Positions { get; } = positions;
    public long Length => Positions.shape[0];

    /// <summary>This block followed by another (KV-Runahead's growing prefix).</summary>
    public KvBlock Concat(KvBlock other) =>
        new(cat([Keys, other.Keys], 1), cat([Values, other.Values], 1), cat([Positions, other.Positions], 0),
            Math.Min(FirstPosition, other.FirstPosition));

    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
        Positions.Dispose();
    }
}
