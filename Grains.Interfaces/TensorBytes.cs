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
    /// <summary>Largest payload one message may carry; bigger tensors are sent in pieces (see <see cref="Chunks"/>).</summary>
    public const int MaxMessageBytes = 16 << 20;

    /// <summary>Splits the payload into pieces no larger than <paramref name="maxBytes"/>, for chunked sends.</summary>
    public IEnumerable<ArraySegment<byte>> Chunks(int maxBytes = MaxMessageBytes)
    {
        for (var offset = 0; offset < Data.Length; offset += maxBytes)
            yield return new ArraySegment<byte>(Data, offset, Math.Min(maxBytes, Data.Length - offset));
    }

    /// <summary>Reassembles a payload sent with <see cref="Chunks"/>; the total must match the shape and dtype.</summary>
    public static TensorBytes Join(long[] shape, string dtype, IReadOnlyList<byte[]> pieces)
    {
        var data = new byte[pieces.Sum(p => (long)p.Length)];
        var offset = 0;
        foreach (var p in pieces)
        {
            p.CopyTo(data, offset);
            offset += p.Length;
        }
        return new TensorBytes(shape, dtype, data);
    }

    /// <summary>Refuses to send more than one message may carry: an oversize frame would drop the whole connection.</summary>
    public TensorBytes EnsureSendable()
    {
        if (Data.Length > MaxMessageBytes)
            throw new OlmException($"a tensor of {Data.Length} bytes exceeds the {MaxMessageBytes}-byte message cap; send it in chunks");
        return this;
    }
}
