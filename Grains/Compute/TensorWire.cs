using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Compute;

/// <summary>Tensors to and from <see cref="TensorBytes"/>: one copy to host bytes, one copy back.</summary>
public static class TensorWire
{
    public static TensorBytes ToBytes(Tensor t)
    {
        using var cpu = t.to(CPU).contiguous();
        return new TensorBytes(cpu.shape, cpu.dtype.ToString(), cpu.bytes.ToArray());
    }

    public static Tensor FromBytes(TensorBytes b, Device? device = null)
    {
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

    /// <summary>The values of an int64 tensor on the wire (positions), read on the host.</summary>
    public static long[] Int64s(TensorBytes b) =>
        b.DType == nameof(ScalarType.Int64)
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(b.Data).ToArray()
            : throw new OlmException($"expected int64 positions on the wire, got {b.DType}");
}
