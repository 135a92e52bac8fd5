using System.Text;
using System.Text.Json;

namespace OrleansLlm.Tests.Engine;

/// <summary>Writes small float32 safetensors files for tests of the reader.</summary>
public static class SafeTensorsWriter
{
    public static void Write(string path, IReadOnlyDictionary<string, (long[] Shape, float[] Data)> tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, (shape, data)) in tensors)
        {
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + data.Length * 4L } };
            offset += data.Length * 4L;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((long)json.Length));
        f.Write(json);
        foreach (var (_, (_, data)) in tensors)
            foreach (var x in data) f.Write(BitConverter.GetBytes(x));
    }
}
