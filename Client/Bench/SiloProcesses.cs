using System.Diagnostics;
using OrleansLlm.Client.Connection;

namespace OrleansLlm.Client.Bench;

/// <summary>
/// K silos as separate processes of this program (its hidden `silo` command) on loopback ports, so shards talk over
/// real TCP with real serialization. Closing a child's stdin stops it; disposing kills any that linger.
/// </summary>
internal sealed class SiloProcesses : IAsyncDisposable
{
    private readonly List<Process> _processes = [];

    public string Gateway { get; private set; } = "";
    public string ClusterId { get; } = $"olm-bench-{Environment.ProcessId}";

    public static async Task<SiloProcesses> StartAsync(int count, string device, int threadsPerSilo, double memoryGiB, TextWriter log)
    {
        var silos = new SiloProcesses();
        var ports = FreePorts.Take(2 * count).Chunk(2).ToArray(); // a silo port and a gateway port each
        silos.Gateway = $"127.0.0.1:{ports[0][1]}";
        try
        {
            for (var i = 0; i < count; i++)
            {
                var args = $"silo --silo-port {ports[i][0]} --gateway-port {ports[i][1]} --cluster-id {silos.ClusterId} " +
                           $"--devices {Devices(device, i, count)} --threads {threadsPerSilo}" + (i == 0 ? "" : $" --primary-port {ports[0][0]}") +
                           (memoryGiB > 0 ? $" --memory-gb {memoryGiB.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "");
                var p = Start(args);
                silos._processes.Add(p);
                var errors = new System.Text.StringBuilder();
                p.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
                p.BeginErrorReadLine(); // drained, so a chatty child never blocks on a full pipe
                var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
                if (line != "ready")
                    throw new InvalidOperationException($"silo process {i} did not start: {errors}".Trim());
                log.WriteLine($"silo process {i} up (pid {p.Id}, {Devices(device, i, count)})");
            }
        }
        catch
        {
            await silos.DisposeAsync();
            throw;
        }
        return silos;
    }

    /// <summary>With --device cuda the GPUs are shared out as among embedded silos; otherwise every silo offers the device asked.</summary>
#if OLM_EMBEDDED
    private static string Devices(string device, int i, int count) => string.Join(',', Embedded.EmbeddedCluster.Devices(device, i, count));
#else
    private static string Devices(string device, int i, int count) =>
        throw new ArgumentException("this olm is a thin client (built with -p:OlmThin=true): it cannot start silo processes; pass --gateway HOST:PORT of a running cluster");
#endif

    private static Process Start(string args)
    {
        // Through `dotnet Client.dll` the process is the muxer and needs the .dll again; the built executable (apphost)
        // is olm itself, though GetCommandLineArgs()[0] names the .dll there too.
        var self = Environment.ProcessPath!;
        var viaHost = Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(self, viaHost ? $"\"{Environment.GetCommandLineArgs()[0]}\" {args}" : args)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        return Process.Start(info) ?? throw new InvalidOperationException("cannot start a silo process");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in Enumerable.Reverse(_processes))
        {
            try { p.StandardInput.Close(); } catch (IOException) { } // the child has exited already: its pipe is gone
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await p.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { p.Kill(entireProcessTree: true); }
            p.Dispose();
        }
        _processes.Clear();
    }
}
