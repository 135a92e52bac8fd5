using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sequence;

/// <summary>Keys and values [KV, S, D] of one layer for some tokens, with their global positions [S].</summary>
public sealed class KvBlock(Tensor keys, Tensor values, Tensor positions) : IDisposable
{
    public Tensor Keys { get; } = keys;
    public Tensor Values { get; } = values;
    public Tensor Positions { get; } = positions;
    public long Length => Positions.shape[0];

    /// <summary>This block followed by another (KV-Runahead's growing prefix).</summary>
    public KvBlock Concat(KvBlock other) =>
        new(cat([Keys, other.Keys], 1), cat([Values, other.Values], 1), cat([Positions, other.Positions], 0));

    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
        Positions.Dispose();
    }
}
