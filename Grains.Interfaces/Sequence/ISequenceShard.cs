namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// The sequence-parallel side of a shard grain (every shard holds the whole model; the prompt and the KV cache are
/// split). Blocks of keys and values travel shard to shard into a mailbox; receiving never calls back, so ring
/// exchanges cannot deadlock.
/// </summary>
[Alias("olm.ISequenceShard")]
public interface ISequenceShard : IGrainWithStringKey
{
    /// <summary>This shard's tokens (ids at global positions) through every layer; starts the request's KV cache here.</summary>
    [ResponseTimeout("00:10:00"), Alias("SequencePrefill")]
    Task<SequencePrefillResult> SequencePrefillAsync(Guid request, SequencePrefillInput input, CancellationToken cancellation);

    /// <summary>A piece of a KV block for (layer, step); the block is complete when all its pieces have arrived.</summary>
    [AlwaysInterleave, Alias("ReceiveKv")]
    Task ReceiveKvAsync(Guid request, int layer, int step, KvPiece piece);

    /// <summary>
    /// On the shard that keeps the new token's KV: one decode step over the cache spread on every shard; answers with
    /// the next token, drawn as <paramref name="sample"/> says.
    /// </summary>
    [ResponseTimeout("00:10:00"), Alias("SequenceDecode")]
    Task<int> SequenceDecodeAsync(Guid request, int tokenId, long position, TokenDraw sample, CancellationToken cancellation);

    /// <summary>
    /// This shard's partial attention (output and log-sum-exp) of a query [H, 1, D] at <paramref name="position"/> over
    /// its cache for a layer: every cached key is earlier; a sliding layer hides those before its window.
    /// </summary>
    [AlwaysInterleave, Alias("Attend")]
    Task<TensorBytes[]> AttendAsync(Guid request, int layer, long position, TensorBytes query);
}
