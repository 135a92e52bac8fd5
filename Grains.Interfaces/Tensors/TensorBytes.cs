namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A tensor in a grain message: shape, dtype name and raw little-endian bytes. Made from a local tensor, it stays a
/// reference to it: a call inside the silo hands the same object over (the type is immutable, so Orleans passes the
/// reference, and a GPU tensor never leaves its GPU), and only a message leaving the silo reads the bytes, once, when
/// the serializer converts it (<see cref="TensorBytesConverter"/>).
/// </summary>
[Immutable]
public sealed class TensorBytes
{
    private byte[]? _data;

    public TensorBytes(long[] shape, string dtype, byte[] data)
    {
        (Shape, DType, _data, ByteCount) = (shape, dtype, data, data.Length);
    }

    public TensorBytes(long[] shape, string dtype, long byteCount, ILocalTensor local)
    {
        (Shape, DType, ByteCount, Local) = (shape, dtype, byteCount, local);
    }

    public long[] Shape { get; }
    public string DType { get; }

    /// <summary>Size of the payload, known without reading a local tensor.</summary>
    public long ByteCount { get; }

    /// <summary>The tensor itself when this message has not left the silo it was made in.</summary>
    public ILocalTensor? Local { get; }

    /// <summary>The raw bytes; read from the local tensor on first use.</summary>
    public byte[] Data => _data ??= Local!.ToBytes();

    /// <summary>
    /// Largest payload one message may carry. Senders keep under it: prompts cross multi-shard deployments in chunks of
    /// tokens, and KV blocks are cut by tokens into pieces (GrainKvExchange).
    /// </summary>
    public const int MaxMessageBytes = 16 << 20;

    /// <summary>Refuses to send more than one message may carry: an oversize frame would drop the whole connection.</summary>
    public TensorBytes EnsureSendable()
    {
        if (ByteCount > MaxMessageBytes)
            throw new OlmException($"a tensor of {ByteCount} bytes exceeds the {MaxMessageBytes}-byte message cap; send it in chunks");
        return this;
    }
}
