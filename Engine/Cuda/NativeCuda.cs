using System.Runtime.InteropServices;

namespace OrleansLlm.Engine.Cuda;

/// <summary>
/// Our native CUDA component (Native/olm_cuda.cpp: CUDA graphs and NCCL), loaded from the path in OLM_NATIVE or beside
/// the application when present. Without it (CPU machines, CI) everything runs as before: graphs are not captured and
/// tensor-parallel ranks all-reduce through messages.
/// </summary>
public static unsafe class NativeCuda
{
    private static readonly Lazy<Exports?> Library = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private sealed class Exports(IntPtr lib)
    {
        public readonly delegate* unmanaged<int> Version = (delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "olm_version");
        public readonly delegate* unmanaged<int> Kernels = (delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "olm_kernels");
        public readonly delegate* unmanaged<IntPtr> LastError = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(lib, "olm_last_error");
        public readonly delegate* unmanaged<int, IntPtr*, int> GraphBegin = (delegate* unmanaged<int, IntPtr*, int>)NativeLibrary.GetExport(lib, "olm_graph_begin");
        public readonly delegate* unmanaged<IntPtr, int> GraphEnd = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "olm_graph_end");
        public readonly delegate* unmanaged<IntPtr, int> GraphReplay = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "olm_graph_replay");
        public readonly delegate* unmanaged<IntPtr, void> GraphFree = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(lib, "olm_graph_free");
        public readonly delegate* unmanaged<int, int*, int*, int> NcclClique = (delegate* unmanaged<int, int*, int*, int>)NativeLibrary.GetExport(lib, "olm_nccl_clique");
        public readonly delegate* unmanaged<int, int, int> JitOptions = (delegate* unmanaged<int, int, int>)NativeLibrary.GetExport(lib, "olm_jit_options");
    }

    /// <summary>Where the library was looked for and why it is not in use (null when it is).</summary>
    public static string? Unavailable { get; private set; }

    /// <summary>True when the component is loaded (it registered its TorchScript op: torch.olm_all_reduce_).</summary>
    public static bool Loaded => Library.Value is not null;

    /// <summary>True when the component was built with its decode kernels (Native/olm_kernels.cu: torch.olm_* ops).</summary>
    public static bool HasKernels => Library.Value is { } e && e.Kernels() == 1;

    private static Exports? Load()
    {
        var path = OrleansLlm.Switches.OlmSwitches.Native.Value is { } p ? p
            : Path.Combine(AppContext.BaseDirectory, "libolm_cuda.so");
        if (!File.Exists(path)) { Unavailable = $"no native component at {path} (build it with Native/build.sh; set OLM_NATIVE)"; return null; }
        // libtorch first: the component links against the libtorch TorchSharp has loaded.
        if (!TorchSharp.torch.cuda.is_available()) { Unavailable = "CUDA is not available"; return null; }
        if (!NativeLibrary.TryLoad(path, out var lib)) { Unavailable = $"cannot load {path}"; return null; }
        var exports = new Exports(lib);
        if (exports.Version() != 1) throw new InvalidOperationException($"{path} is not version 1 of olm_cuda");
        // TorchScript's fuser (NNC) is off: with CUDA 13 some groups it fuses fail at run time ("Global alloc not
        // supported yet"), and it gained 2% on eager decode steps (graphs already remove the launches it saves).
        // OLM_JIT=static also turns profiling off; OLM_JIT=fused turns the fuser back on (to compare).
        var jit = OrleansLlm.Switches.OlmSwitches.Jit.Value;
        exports.JitOptions(jit == "static" ? 0 : 1, jit == "fused" ? 1 : 0);
        return exports;
    }

    private static Exports Need() => Library.Value ?? throw new InvalidOperationException(Unavailable);

    internal static void Check(int result, string what)
    {
        if (result != 0) throw new InvalidOperationException($"{what}: {Marshal.PtrToStringUTF8(Need().LastError())}");
    }

    internal static IntPtr GraphBegin(int device)
    {
        IntPtr handle;
        Check(Need().GraphBegin(device, &handle), "CUDA graph capture");
        return handle;
    }

    internal static void GraphEnd(IntPtr graph) => Check(Need().GraphEnd(graph), "CUDA graph capture");
    internal static void GraphReplay(IntPtr graph) => Check(Need().GraphReplay(graph), "CUDA graph replay");
    internal static void GraphFree(IntPtr graph) => Need().GraphFree(graph);

    /// <summary>NCCL communicators over these GPUs of this process (rank i on devices[i]); returns the clique's id.</summary>
    public static int NcclClique(int[] devices)
    {
        int clique;
        fixed (int* d = devices) Check(Need().NcclClique(devices.Length, d, &clique), "NCCL communicators");
        return clique;
    }
}
