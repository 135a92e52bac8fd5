using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sequence;

/// <summary>
/// Keys and values [KV, S, D] of one layer for some tokens, with their global positions [S] (ascending) on the device
/// and as a run on the host, so choosing the attention kernel for a block needs no device synchronisation.
/// </summary>
public sealed class KvBlock(Tensor keys, Tensor values, Tensor positions, PositionRun run) : IDisposable
{
    public PositionRun Run { get; } = run;

    /// <summary>The smallest position in the block; long.MaxValue when it is empty.</summary>
    public long FirstPosition => Run.Count == 0 ? long.MaxValue : Run.First;

    public Tensor Keys { get; } = keys;
    public Tensor Values { get; } = values;
    public Tensor Positions { get; } = positions;
    public long Length => Positions.shape[0];

    /// <summary>This block followed by another (KV-Runahead's growing prefix).</summary>
    public KvBlock Concat(KvBlock other) =>
        new(cat([Keys, other.Keys], 1), cat([Values, other.Values], 1), cat([Positions, other.Positions], 0),
            Run.Then(other.Run));

    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
        Positions.Dispose();
    }
}
