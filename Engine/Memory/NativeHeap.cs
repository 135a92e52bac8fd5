using System.Runtime.InteropServices;

namespace OrleansLlm.Engine.Memory;

/// <summary>
/// Gives the C heap's free pages back to the system. Loading a model frees many tensors of a few MiB (a layer's
/// projections before they are fused, conversions): glibc keeps such chunks in its heaps for reuse, so a process that
/// loaded 2.4 GB of weights held ~100 MB more than them for the rest of its life. Only glibc has the call; elsewhere
/// this does nothing.
/// </summary>
public static class NativeHeap
{
    public static void Trim()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { _ = MallocTrim(0); }
        catch (EntryPointNotFoundException) { } // a C library without malloc_trim (musl): nothing to give back this way
        catch (DllNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
