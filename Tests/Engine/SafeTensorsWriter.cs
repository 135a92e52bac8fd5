using System.Text;
using System.Text.Json;

namespace OrleansLlm.Tests.Engine;

/// <summary>Writes small float32 safetensors files for tests of the reader.</summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes float32 tensors, or with <paramref name="dtype"/> "BF16"/"F16", their bfloat16/half roundings.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, (long[] Shape, float[] Data)> tensors, string dtype = "F32")
    {
        var size = dtype == "F32" ? 4L : 2L;
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, (shape, data)) in tensors)
        {
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length * size } };
            offset += data.Length * size;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((long)json.Length));
        f.Write(json);
        foreach (var (_, (_, data)) in tensors)
            foreach (var x in data) f.Write(Encode(x, dtype));
    }

    private static byte[] Encode(float x, string dtype) => dtype switch
    {
        "F32" => BitConverter.GetBytes(x),
        "F16" => BitConverter.GetBytes((Half)x),
        "BF16" => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(x) >> 16)), // exact for the test values
        _ => throw new ArgumentException(dtype),
    };
}
