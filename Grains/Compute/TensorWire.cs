using OrleansLlm.Grains.Interfaces;
using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Compute;

/// <summary>
/// Tensors to and from <see cref="TensorBytes"/>. A tensor is wrapped, not copied: inside the silo the receiver gets
/// the sender's tensor (moved to its own device if it drives another GPU, a peer copy); only a message leaving the silo
/// copies it to host bytes. Receivers must not change what they receive in place: it may be the sender's storage.
/// </summary>
public static class TensorWire
{
    public static TensorBytes ToBytes(Tensor t)
    {
        var local = new LocalTensor(t);
        return new TensorBytes(t.shape, t.dtype.ToString(), t.NumberOfElements * t.ElementSize, local);
    }

    /// <summary>
    /// The tensor where it is, owned by the caller: the sender's own (a new handle on its storage, on its device) inside
    /// the silo, or a host tensor read from the bytes that came over the wire.
    /// </summary>
    public static Tensor Open(TensorBytes b) => b.Local is LocalTensor local ? local.Tensor.alias() : FromBytes(b);

    /// <summary>The tensor on <paramref name="device"/> (the host when null), owned by the caller.</summary>
    public static Tensor FromBytes(TensorBytes b, Device? device = null)
    {
        if (b.Local is LocalTensor local) return local.Tensor.to(device ?? CPU);
        if (!Enum.TryParse<ScalarType>(b.DType, out var dtype))
            throw new OlmException($"unknown tensor dtype '{b.DType}' on the wire");
        var t = empty(b.Shape, dtype);
        if (t.NumberOfElements * t.ElementSize != b.Data.Length)
        {
            t.Dispose();
            throw new OlmException($"tensor of shape [{string.Join(", ", b.Shape)}] {b.DType} cannot hold {b.Data.Length} bytes");
        }
        b.Data.CopyTo(t.bytes);
        if (device is null || device.type == DeviceType.CPU) return t;
        using (t) return t.to(device);
    }

    /// <summary>
    /// The sender's tensor, held by its own handle (storage shared, nothing copied) until the message is collected. Its
    /// memory may be a GPU's, which the collector cannot see: it is told, so collections keep pace with large messages.
    /// </summary>
    private sealed class LocalTensor : ILocalTensor
    {
        private readonly long _pressure;

        public LocalTensor(Tensor t)
        {
            Tensor = t.alias().DetachFromDisposeScope();
            _pressure = Math.Max(1, t.NumberOfElements * t.ElementSize);
            GC.AddMemoryPressure(_pressure);
        }

        public Tensor Tensor { get; }

        public byte[] ToBytes()
        {
            using var cpu = Tensor.to(CPU).contiguous();
            return cpu.bytes.ToArray();
        }

        ~LocalTensor()
        {
            GC.RemoveMemoryPressure(_pressure);
            Tensor.Dispose();
        }
    }
}
