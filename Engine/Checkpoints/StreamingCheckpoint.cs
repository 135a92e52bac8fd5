using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Checkpoints;

/// <summary>
/// A checkpoint folder read with positioned reads instead of a memory map, for a weight window that reads the same
/// tensors again every step: pages read go to the kernel's cache, not into the process (a map's touched pages count
/// in its resident memory until it is unmapped), and each read opens the file anew, so a file deleted or cut short
/// while the window streams from it is one checked error instead of a fault on a mapped page.
/// </summary>
public sealed class StreamingCheckpoint : IWeightSource
{
    private sealed record FileHeader(string Path, long DataStart, IReadOnlyDictionary<string, TensorInfo> Tensors);

    private readonly Dictionary<string, FileHeader> _fileOf;

    private StreamingCheckpoint(Dictionary<string, FileHeader> fileOf) => _fileOf = fileOf;

    public static StreamingCheckpoint Open(string modelDir)
    {
        if (!Directory.Exists(modelDir)) throw new CheckpointException($"model directory not found: {modelDir}");
        var index = Path.Combine(modelDir, "model.safetensors.index.json");
        var files = File.Exists(index)
            ? Checkpoint.ReadIndex(index).Values.Distinct()
            : File.Exists(Path.Combine(modelDir, "model.safetensors")) ? ["model.safetensors"]
            : throw new CheckpointException($"no model.safetensors or model.safetensors.index.json in {modelDir}");
        var fileOf = new Dictionary<string, FileHeader>();
        foreach (var header in files.Select(f => ReadHeader(Path.Combine(modelDir, f))))
            foreach (var name in header.Tensors.Keys) fileOf[name] = header;
        return new StreamingCheckpoint(fileOf);
    }

    private static FileHeader ReadHeader(string path)
    {
        using var handle = OpenFile(path);
        var length = RandomAccess.GetLength(handle);
        var size = new byte[8];
        if (length < 8 || RandomAccess.Read(handle, size, 0) < 8)
            throw new CheckpointException($"truncated safetensors file {path}: {length} bytes");
        var headerLength = BitConverter.ToInt64(size);
        if (headerLength <= 0 || 8 + headerLength > length)
            throw new CheckpointException($"truncated safetensors file {path}: header needs {headerLength} bytes, file has {length}");
        var header = new byte[headerLength];
        ReadFully(handle, header, 8, path);
        return new FileHeader(path, 8 + headerLength, SafeTensorsHeader.Parse(header, length - 8 - headerLength, path));
    }

    public Tensor Read(string name, long[] expectedShape, Range? rows = null, Range? cols = null)
    {
        var (file, info, shape, span) = Locate(name, expectedShape, rows, cols);
        var result = empty(shape, SafeTensorsHeader.ScalarTypeOf(info));
        try
        {
            ReadSlice(file, info, result, span);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Straight into the buffer when it is a contiguous host tensor of the file's dtype (a window's refill).</summary>
    public void ReadInto(string name, long[] expectedShape, Tensor destination, Range? rows = null, Range? cols = null)
    {
        var (file, info, shape, span) = Locate(name, expectedShape, rows, cols);
        if (!shape.SequenceEqual(destination.shape))
            throw new CheckpointException($"tensor '{name}' slice [{string.Join(", ", shape)}] does not fit a buffer of [{string.Join(", ", destination.shape)}]");
        if (destination.dtype == SafeTensorsHeader.ScalarTypeOf(info) && destination.device_type == TorchSharp.DeviceType.CPU && destination.is_contiguous())
        {
            ReadSlice(file, info, destination, span);
            return;
        }
        using var t = Read(name, expectedShape, rows, cols);
        destination.copy_(t);
    }

    private (FileHeader File, TensorInfo Info, long[] Shape, (long R0, long Rn, long C0, long Cn, long Width) Span) Locate(
        string name, long[] expectedShape, Range? rows, Range? cols)
    {
        if (!_fileOf.TryGetValue(name, out var file)) throw new CheckpointException($"tensor '{name}' missing from the checkpoint");
        var info = file.Tensors[name];
        if (!info.Shape.SequenceEqual(expectedShape))
            throw new CheckpointException($"tensor '{name}' has shape {info.ShapeText}, expected [{string.Join(", ", expectedShape)}]");
        var (shape, r0, rn, c0, cn, width) = SafeTensorsHeader.Slice(info, rows, cols);
        return (file, info, shape, (r0, rn, c0, cn, width));
    }

    private static void ReadSlice(FileHeader file, TensorInfo info, Tensor into, (long R0, long Rn, long C0, long Cn, long Width) span)
    {
        using var handle = OpenFile(file.Path);
        var length = RandomAccess.GetLength(handle);
        if (length < file.DataStart + info.End)
            throw new CheckpointException($"truncated safetensors file {file.Path}: tensor '{info.Name}' ends at byte {file.DataStart + info.End}, the file now has {length}");
        ReadRows(handle, file.Path, file.DataStart + info.Begin, into, info.ElementSize, span.Width, (span.R0, span.Rn), (span.C0, span.Cn));
    }

    private static void ReadRows(SafeFileHandle handle, string path, long at, Tensor dst, int es, long width,
        (long Start, long Count) rows, (long Start, long Count) cols)
    {
        // Spans are int-indexed: whole rows go in blocks of at most 1 GiB; a column slice is one read a row.
        long rowBytes = cols.Count * es;
        long rowsPerBlock = cols.Count == width ? Math.Max(1, (1L << 30) / Math.Max(1, rowBytes)) : 1;
        for (long r = 0; r < rows.Count; r += rowsPerBlock)
        {
            var n = Math.Min(rowsPerBlock, rows.Count - r);
            using var block = dst.dim() == 0 ? dst.alias() : dst.narrow(0, r, n);
            ReadFully(handle, block.bytes, at + ((rows.Start + r) * width + cols.Start) * es, path);
        }
    }

    private static void ReadFully(SafeFileHandle handle, Span<byte> into, long offset, string path)
    {
        for (var done = 0; done < into.Length;)
        {
            var n = RandomAccess.Read(handle, into[done..], offset + done);
            if (n <= 0) throw new CheckpointException($"truncated safetensors file {path}: no bytes at offset {offset + done}");
            done += n;
        }
    }

    private static SafeFileHandle OpenFile(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException($"checkpoint file {path} is gone (deleted while the weight window streams from it)");
        }
    }

    public void Dispose() { }
}
