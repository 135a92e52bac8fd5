using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansLlm.Engine;

/// <summary>
/// Settings libtorch's native runtime reads when it loads, made before it does (a module initializer runs when this
/// assembly loads, before any of its code calls torch). .NET's Environment.SetEnvironmentVariable does not reach native
/// code on Linux, so libc's setenv is called; a value the user set is kept.
/// </summary>
internal static partial class NativeEnvironment
{
#pragma warning disable CA2255 // deliberate: it must run before anything in this assembly reaches libtorch
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Prepare()
    {
        if (!OperatingSystem.IsLinux()) return;
        // OpenMP's worker threads spin after each parallel region by default. A silo's device thread runs torch ops back
        // to back while its grain turns (messages, the next request's tokens) need the same cores: spinning workers starve
        // them (seen on 2 cores: tokens stalling for 100-400 ms). Passive workers sleep instead.
        SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
