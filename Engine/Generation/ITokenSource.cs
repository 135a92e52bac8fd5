namespace OrleansLlm.Engine.Generation;

/// <summary>
/// The forward passes and draws the generation loop drives: one sequence in-process, or a request on a deployment of
/// shard grains. Each call returns the next token, drawn as <see cref="SampleRow"/> says from the logits of the last
/// position it was given; the source knows the sequence's tokens, so it supplies the repetition penalty's history.
/// </summary>
public interface ITokenSource
{
    /// <summary>Processes the prompt from position 0; returns the first generated token.</summary>
    ValueTask<int> PrefillAsync(IReadOnlyList<int> promptIds, SampleRow next, CancellationToken cancellation);

    /// <summary>Processes one more token at the next position; returns the token after it.</summary>
    ValueTask<int> DecodeAsync(int tokenId, SampleRow next, CancellationToken cancellation);
}
