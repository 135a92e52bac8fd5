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

    /// <summary>On the shard that keeps the new token's KV: one decode step over the cache spread on every shard.</summary>
    [ResponseTimeout("00:10:00"), Alias("SequenceDecode")]
    Task<TensorBytes> SequenceDecodeAsync(Guid request, int tokenId, long position, CancellationToken cancellation);

    /// <summary>
    /// This shard's partial attention (output and log-sum-exp) of a query [H, 1, D] over its cache for a layer; the query
    /// is the newest position, so every cached key is visible.
    /// </summary>
    [AlwaysInterleave, Alias("Attend")]
    Task<TensorBytes[]> AttendAsync(Guid request, int layer, TensorBytes query);
}

[GenerateSerializer, Immutable, Alias("olm.SequencePrefillInput")]
public sealed record SequencePrefillInput(
    [property: Id(0)] int[] Ids,
    [property: Id(1)] long[] Positions,
    [property: Id(2)] int Capacity,
    [property: Id(3)] string Strategy,
    [property: Id(4)] long LastPosition);

/// <summary>A shard's prefill: the logits of the prompt's last position if it holds it, and its busy time.</summary>
[GenerateSerializer, Immutable, Alias("olm.SequencePrefillResult")]
public sealed record SequencePrefillResult(
    [property: Id(0)] TensorBytes? Logits,
    [property: Id(1)] double BusyMs,
    [property: Id(2)] int Tokens,
    [property: Id(3)] int Messages,
    [property: Id(4)] long Bytes);

/// <summary>Tokens [Start, Start + count) of a KV block: keys and values [KV, count, D] and positions.</summary>
[GenerateSerializer, Immutable, Alias("olm.KvPiece")]
public sealed record KvPiece(
    [property: Id(0)] int Index,
    [property: Id(1)] int Pieces,
    [property: Id(2)] TensorBytes Keys,
    [property: Id(3)] TensorBytes Values,
    [property: Id(4)] TensorBytes Positions,
    [property: Id(5)] long First,
    [property: Id(6)] long Stride);
