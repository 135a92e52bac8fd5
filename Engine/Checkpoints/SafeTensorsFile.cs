using System.IO.MemoryMappedFiles;
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
            Tensors = SafeTensorsHeader.Parse(new ReadOnlySpan<byte>(_base + 8, (int)headerLength), length - _dataStart, path);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a tensor, or rows [rows.Start, rows.End) and columns [cols.Start, cols.End) of a 2-D one, into a new CPU
    /// tensor of the file's dtype.
    /// </summary>
    public Tensor Read(string name, Range? rows = null, Range? cols = null)
    {
        var info = Tensors.TryGetValue(name, out var i) ? i : throw new CheckpointException($"tensor '{name}' not in {Path}");
        var (shape, r0, rn, c0, cn, width) = SafeTensorsHeader.Slice(info, rows, cols);
        var result = empty(shape, SafeTensorsHeader.ScalarTypeOf(info));
        CopyRows(_base + _dataStart + info.Begin, result, info.ElementSize, width, r0, rn, c0, cn);
        return result;
    }

    /// <summary>
    /// Drops the mapped pages of bytes already copied from this process's memory: they stay in the system's file
    /// cache (reclaimable, shared), but a process that kept them mapped would hold every weight twice, once as the file's
    /// pages and once as its tensors, until the file is closed, and its peak memory would be twice the model.
    /// </summary>
    private static void Release(byte* start, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return;
        const long page = 4096;
        var first = (long)start & ~(page - 1);
        var end = ((long)start + length + page - 1) & ~(page - 1);
        _ = Madvise((nint)first, (nuint)(end - first), MadvDontNeed); // advice only: a refusal leaves the pages mapped
    }

    private const int MadvDontNeed = 4;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    /// <summary>
    /// The same as <see cref="Read"/> straight into <paramref name="destination"/> where it is a contiguous CPU tensor
    /// of the file's dtype and the slice's shape (no temporary: loading a fused projection holds it and nothing else);
    /// false where it is not, and nothing was read.
    /// </summary>
    public bool TryReadInto(string name, Tensor destination, Range? rows = null, Range? cols = null)
    {
        var info = Tensors.TryGetValue(name, out var i) ? i : throw new CheckpointException($"tensor '{name}' not in {Path}");
        var (shape, r0, rn, c0, cn, width) = SafeTensorsHeader.Slice(info, rows, cols);
        if (destination.device_type != TorchSharp.DeviceType.CPU || destination.dtype != SafeTensorsHeader.ScalarTypeOf(info)
            || !destination.is_contiguous() || !destination.shape.SequenceEqual(shape))
            return false;
        CopyRows(_base + _dataStart + info.Begin, destination, info.ElementSize, width, r0, rn, c0, cn);
        return true;
    }

    private static unsafe void CopyRows(byte* src, Tensor dst, int es, long width, long r0, long rn, long c0, long cn)
    {
        // Row blocks of at most 64 MiB, each block's source pages released once copied: a whole embedding mapped and
        // copied at once would hold it twice at the peak. (Spans are int-indexed, too.)
        long rowBytes = cn * es;
        long rowsPerBlock = Math.Max(1, (64L << 20) / Math.Max(1, rowBytes));
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
            Release(src + (r0 + r) * width * es, n * width * es);
        }
    }

    public void Dispose()
    {
        if (_base != null) _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
