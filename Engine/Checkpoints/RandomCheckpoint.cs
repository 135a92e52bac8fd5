using System.Text;
using System.Text.Json;
using OrleansLlm.Engine.Config;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Checkpoints;

/// <summary>
/// Writes the random weights of a named model shape (exactly what <c>shape:NAME</c> deploys) as a Hugging Face folder:
/// config.json and one model.safetensors, so benchmarks of weight windows read real files. Tensors are drawn and
/// written a few rows at a time: an 8B shape never needs more than a piece in memory.
/// </summary>
public static class RandomCheckpoint
{
    private const long PieceBytes = 64L << 20;

    public static void Write(string shape, ScalarType dtype, string dir, TextWriter? log = null)
    {
        var config = ModelShapes.Get(shape);
        var tensors = Tensors(config).ToList();
        Directory.CreateDirectory(dir);
        var json = ModelShapes.Json(shape).TrimEnd().TrimEnd('}') + $", \"torch_dtype\": \"{DTypeName(dtype)}\"\n}}\n";
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        var size = Model.ModelSizing.ElementSize(dtype);
        var headerBytes = Header(tensors, dtype, size);
        var path = Path.Combine(dir, "model.safetensors");
        using var file = new FileStream(path + ".partial", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        file.Write(BitConverter.GetBytes((long)headerBytes.Length));
        file.Write(headerBytes);
        var source = new RandomWeights(seed: 0, dtype);
        for (var i = 0; i < tensors.Count; i++)
        {
            WriteTensor(file, source, tensors[i].Name, tensors[i].Shape, size);
            log?.WriteLine($"[{i + 1}/{tensors.Count}] {tensors[i].Name}");
        }
        file.Close();
        File.Move(path + ".partial", path, overwrite: true);
    }

    /// <summary>The safetensors header: each tensor's dtype, shape and byte range, in writing order.</summary>
    private static byte[] Header(List<(string Name, long[] Shape)> tensors, ScalarType dtype, long size)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, dims) in tensors)
        {
            var bytes = dims.Aggregate(1L, (a, b) => a * b) * size;
            header[name] = new { dtype = SafeTensorsDType(dtype), shape = dims, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
    }

    private static void WriteTensor(FileStream file, RandomWeights source, string name, long[] shape, long size)
    {
        var rows = shape[0];
        var rowBytes = shape.Skip(1).Aggregate(1L, (a, b) => a * b) * size;
        var step = Math.Max(1, PieceBytes / rowBytes);
        for (long r = 0; r < rows; r += step)
        {
            var n = Math.Min(step, rows - r);
            using var piece = source.Read(name, shape, rows: new Range((int)r, (int)(r + n)));
            file.Write(piece.bytes);
        }
    }

    /// <summary>Every tensor of a checkpoint of this config as its family names them (fused ones once), in the order written.</summary>
    public static IEnumerable<(string Name, long[] Shape)> Tensors(ModelConfig c)
    {
        long h = c.HiddenSize;
        var family = c.Family;
        var whole = Model.ModelSlice.Full(c);
        yield return ("model.embed_tokens.weight", [c.VocabSize, h]);
        for (var l = 0; l < c.NumLayers; l++)
        {
            var a = family.Attention(c, whole, l);
            var m = family.Mlp(c, whole, l);
            var pieces = new[] { a.InNorm, a.Qkv, a.QkvBias, a.QNorm, a.KNorm, a.O, a.OBias, a.PostNorm, m.InNorm, m.Router, m.GateUp, m.GateUpBias, m.Down, m.DownBias, m.PostNorm };
            foreach (var piece in pieces.OfType<Model.Layers.Piece[]>().SelectMany(p => p).DistinctBy(p => p.Name))
                yield return (piece.Name, piece.Shape);
        }
        yield return ("model.norm.weight", [h]);
        if (!c.TieWordEmbeddings) yield return ("lm_head.weight", [c.VocabSize, h]);
    }

    private static string SafeTensorsDType(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float16 => "F16",
        _ => throw new ArgumentException($"cannot write {dtype} weights (float32, bfloat16 or float16)"),
    };

    private static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };
}
