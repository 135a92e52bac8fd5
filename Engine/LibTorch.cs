using TorchSharp;

namespace OrleansLlm.Engine;

/// <summary>
/// Whether libtorch's native libraries load on this machine, checked before hosting shards so a machine without them
/// gets one line naming what is missing, not a type initializer's stack trace at the first tensor.
/// </summary>
public static class LibTorch
{
    public static void EnsureLoadable()
    {
        // TorchSharp prints its whole search for the library to stdout when it fails: keep stdout for our one line.
        var stdout = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            var reason = (e.InnerException ?? e).Message.Split('\n', 2)[0].Trim();
            throw new LibTorchMissingException(
                $"libtorch (TorchSharp's native libtorch-cpu-linux-x64 or a CUDA build) does not load here, so this machine cannot host shards ({reason}); " +
                "build the full app (dotnet build) or connect to a running cluster with --gateway HOST:PORT");
        }
        finally
        {
            Console.SetOut(stdout);
        }
    }
}

/// <summary>libtorch's native libraries are missing or do not load.</summary>
public sealed class LibTorchMissingException(string message) : Exception(message);
