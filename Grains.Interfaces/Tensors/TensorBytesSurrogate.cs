namespace OrleansLlm.Grains.Interfaces;

/// <summary>What goes on the wire for a <see cref="TensorBytes"/>: one length-prefixed byte array.</summary>
[GenerateSerializer, Alias("olm.TensorBytes")]
public struct TensorBytesSurrogate
{
    [Id(0)] public long[] Shape;
    [Id(1)] public string DType;
    [Id(2)] public byte[] Data;
}
