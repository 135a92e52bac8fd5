using static TorchSharp.torch;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// The forward pass the generation loop drives: one shard in-process, or a deployment of many shard grains.
/// Each call returns the float32 logits [V] of the last position it was given.
/// </summary>
public interface ILogitsSource
{
    /// <summary>Processes the prompt from position 0.</summary>
    ValueTask<Tensor> PrefillAsync(IReadOnlyList<int> promptIds, CancellationToken cancellation);

    /// <summary>Processes one more token at the next position.</summary>
    ValueTask<Tensor> DecodeAsync(int tokenId, CancellationToken cancellation);
}
