namespace OrleansLlm.Engine.Cuda;

/// <summary>
/// A captured CUDA graph: everything the calling thread queued on the device while <see cref="Capture"/> ran, replayed
/// in one launch on the thread's stream. Inputs must be written into the tensors the capture read, in place; outputs
/// are the tensors the capture made, overwritten by each replay.
/// </summary>
public sealed class CudaGraph : IDisposable
{
    private IntPtr _handle;

    private CudaGraph(IntPtr handle) => _handle = handle;

    /// <summary>Captures <paramref name="work"/> (no host synchronisation may happen inside it) on <paramref name="device"/>.</summary>
    public static (CudaGraph Graph, T Result) Capture<T>(int device, Func<T> work)
    {
        var handle = NativeCuda.GraphBegin(device);
        T result;
        try
        {
            result = work();
        }
        catch
        {
            try { NativeCuda.GraphEnd(handle); } catch (InvalidOperationException) { } // the capture is invalid anyway
            NativeCuda.GraphFree(handle);
            throw;
        }
        try
        {
            NativeCuda.GraphEnd(handle);
        }
        catch
        {
            NativeCuda.GraphFree(handle);
            throw;
        }
        return (new CudaGraph(handle), result);
    }

    public void Replay() => NativeCuda.GraphReplay(_handle);

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        NativeCuda.GraphFree(_handle);
        _handle = IntPtr.Zero;
    }
}
