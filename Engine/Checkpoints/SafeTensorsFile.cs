using System.IO.MemoryMappedFiles;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Checkpoints;

/// <summary>
/// A memory-mapped .safetensors file. Only the bytes of the tensors (or row/column ranges) a caller asks for are
/// touched, so a shard that needs a slice never pages in the rest of the model.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;

    public string Path { get; }
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    public SafeTensorsFile(string path)
    {
        Path = path;
        if (!File.Exists(path)) throw new CheckpointException($"safetensors file not found: {path}");
        var length = new FileInfo(path).Length;
        if (length < 8) throw new CheckpointException($"truncated safetensors file {path}: {length} bytes");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        _base += _view.PointerOffset;
        try
        {
            var headerLength = *(long*)_base;
            if (headerLength <= 0 || 8 + headerLength > length)
                throw new CheckpointException(
                    $"truncated safetensors file {path}: header needs {headerLength} bytes, file has {length}");
            _dataStart = 8 + headerLength;
            Tensors = ParseHeader(new ReadOnlySpan<byte>(_base + 8, (int)headerLength), length - _dataStart);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private Dictionary<string, TensorInfo> ParseHeader(ReadOnlySpan<byte> header, long dataLength)
    {
        var tensors = new Dictionary<string, TensorInfo>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header.ToArray()); }
        catch (JsonException e) { throw new CheckpointException($"corrupt safetensors header in {Path}: {e.Message}"); }
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
                        $"truncated safetensors file {Path}: tensor '{p.Name}' ends at byte {info.End} of {dataLength}");
                if (info.End - info.Begin != info.ElementCount * info.ElementSize)
                    throw new CheckpointException($"corrupt safetensors file {Path}: tensor '{p.Name}' size disagrees with its shape");
                tensors[p.Name] = info;
            }
        }
        return tensors;
    }

    /// <summary>
    /// Reads a tensor, or rows [rows.Start, rows.End) and columns [cols.Start, cols.End) of a 2-D one, into a new CPU
    /// tensor of the file's dtype.
    /// </summary>
    public Tensor Read(string name, Range? rows = null, Range? cols = null)
    {
        var info = Tensors.TryGetValue(name, out var i) ? i : throw new CheckpointException($"tensor '{name}' not in {Path}");
        if (cols is not null && info.Shape.Length != 2)
            throw new CheckpointException($"tensor '{info.Name}' {info.ShapeText} has no columns to slice");
        var height = info.Shape.Length == 0 ? 1 : info.Shape[0];
        var width = info.Shape.Length == 0 ? 1 : info.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var (r0, rn) = Offset(info, rows ?? Range.All, height);
        var (c0, cn) = Offset(info, cols ?? Range.All, width);
        var shape = (long[])info.Shape.Clone();
        if (shape.Length > 0) shape[0] = rn;
        if (cols is not null) shape[1] = cn;
        var result = empty(shape, ToScalarType(info));
        CopyRows(_base + _dataStart + info.Begin, result, info.ElementSize, width, r0, rn, c0, cn);
        return result;
    }

    private static unsafe void CopyRows(byte* src, Tensor dst, int es, long width, long r0, long rn, long c0, long cn)
    {
        // Spans are int-indexed: fill the result through row blocks of at most 1 GiB so multi-GiB embeddings load too.
        long rowBytes = cn * es;
        long rowsPerBlock = Math.Max(1, (1L << 30) / Math.Max(1, rowBytes));
        for (long r = 0; r < rn; r += rowsPerBlock)
        {
            var n = Math.Min(rowsPerBlock, rn - r);
            using var block = dst.dim() == 0 ? dst.alias() : dst.narrow(0, r, n);
            var span = block.bytes;
            if (cn == width)
                new ReadOnlySpan<byte>(src + (r0 + r) * width * es, (int)(n * rowBytes)).CopyTo(span);
            else
                for (long k = 0; k < n; k++)
                    new ReadOnlySpan<byte>(src + ((r0 + r + k) * width + c0) * es, (int)rowBytes)
                        .CopyTo(span.Slice((int)(k * rowBytes)));
        }
    }

    private static (long Offset, long Length) Offset(TensorInfo info, Range range, long size)
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

    private static ScalarType ToScalarType(TensorInfo info) => info.DType switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        _ => throw new CheckpointException($"tensor '{info.Name}' has unsupported dtype {info.DType}"),
    };

    public void Dispose()
    {
        if (_base != null) _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
