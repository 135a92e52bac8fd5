using System.Text.Json;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Checkpoints;

/// <summary>The JSON header of a .safetensors file: each tensor's dtype, shape and byte range, checked against the file.</summary>
internal static class SafeTensorsHeader
{
    public static Dictionary<string, TensorInfo> Parse(ReadOnlySpan<byte> header, long dataLength, string path)
    {
        var tensors = new Dictionary<string, TensorInfo>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header.ToArray()); }
        catch (JsonException e) { throw new CheckpointException($"corrupt safetensors header in {path}: {e.Message}"); }
        using (doc)
        {
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                var info = new TensorInfo(p.Name, p.Value.GetProperty("dtype").GetString()!,
                    p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(),
                    p.Value.GetProperty("data_offsets")[0].GetInt64(), p.Value.GetProperty("data_offsets")[1].GetInt64());
                if (info.End > dataLength)
                    throw new CheckpointException(
                        $"truncated safetensors file {path}: tensor '{p.Name}' ends at byte {info.End} of {dataLength}");
                if (info.End - info.Begin != info.ElementCount * info.ElementSize)
                    throw new CheckpointException($"corrupt safetensors file {path}: tensor '{p.Name}' size disagrees with its shape");
                tensors[p.Name] = info;
            }
        }
        return tensors;
    }

    public static ScalarType ScalarTypeOf(TensorInfo info) => info.DType switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        _ => throw new CheckpointException($"tensor '{info.Name}' has unsupported dtype {info.DType}"),
    };

    /// <summary>Offset and length of a range of a tensor's rows or columns, or a one-line error naming the tensor.</summary>
    public static (long Offset, long Length) Range(TensorInfo info, Range range, long size)
    {
        try
        {
            var (o, n) = range.GetOffsetAndLength((int)size);
            return (o, n);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new CheckpointException($"range {range} is outside tensor '{info.Name}' {info.ShapeText}");
        }
    }

    /// <summary>
    /// The part of a tensor that rows [rows] and, for a 2-D tensor, columns [cols] select: its shape, and the first row,
    /// row count, first column, column count and row width (elements) to copy; a one-line error for a bad request.
    /// </summary>
    public static (long[] Shape, long R0, long Rn, long C0, long Cn, long Width) Slice(TensorInfo info, Range? rows, Range? cols)
    {
        if (cols is not null && info.Shape.Length != 2)
            throw new CheckpointException($"tensor '{info.Name}' {info.ShapeText} has no columns to slice");
        var height = info.Shape.Length == 0 ? 1 : info.Shape[0];
        var width = info.Shape.Length == 0 ? 1 : info.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var (r0, rn) = Range(info, rows ?? System.Range.All, height);
        var (c0, cn) = Range(info, cols ?? System.Range.All, width);
        var shape = (long[])info.Shape.Clone();
        if (shape.Length > 0) shape[0] = rn;
        if (cols is not null) shape[1] = cn;
        return (shape, r0, rn, c0, cn, width);
    }
}
