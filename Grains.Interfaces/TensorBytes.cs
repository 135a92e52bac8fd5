namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A tensor on the wire: shape, dtype name and raw little-endian bytes. One length prefix and one copy when a message
/// leaves the silo; none inside it (the type is immutable, so Orleans passes the reference).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.TensorBytes")]
public sealed record TensorBytes(
    [property: Id(0)] long[] Shape,
    [property: Id(1)] string DType,
    [property: Id(2)] byte[] Data)
{
    /// <summary>
    /// Largest payload one message may carry. Senders keep under it: prompts cross multi-shard deployments in chunks of
    /// tokens, and KV blocks are cut by tokens into pieces (GrainKvExchange).
    /// </summary>
    public const int MaxMessageBytes = 16 << 20;

    /// <summary>Refuses to send more than one message may carry: an oversize frame would drop the whole connection.</summary>
    public TensorBytes EnsureSendable()
    {
        if (Data.Length > MaxMessageBytes)
            throw new OlmException($"a tensor of {Data.Length} bytes exceeds the {MaxMessageBytes}-byte message cap; send it in chunks");
        return this;
    }
}
