using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansLlm.Soak;

/// <summary>
/// A process the soak runs (a silo, Redis): started with its output kept, killed as a crash kills (SIGKILL), and its
/// resident memory read from /proc.
/// </summary>
internal sealed class SoakProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyLine;

    private SoakProcess(ProcessStartInfo info, string readyLine)
    {
        _readyLine = readyLine;
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        info.UseShellExecute = false;
        _process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {info.FileName}");
        _process.OutputDataReceived += (_, e) => Line(e.Data);
        _process.ErrorDataReceived += (_, e) => Line(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts the program and waits until it prints a line holding <paramref name="readyLine"/>.</summary>
    public static async Task<SoakProcess> StartAsync(string program, IEnumerable<string> args, string readyLine, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program);
        foreach (var a in args) info.ArgumentList.Add(a);
        var started = new SoakProcess(info, readyLine);
        var exited = started._process.WaitForExitAsync();
        if (await Task.WhenAny(started._ready.Task, exited, Task.Delay(timeout)) == started._ready.Task) return started;
        started.Dispose();
        throw new InvalidOperationException($"{Path.GetFileName(program)} did not start: {LastLines(started.Log)}");
    }

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        if (line.Contains(_readyLine, StringComparison.Ordinal)) _ready.TrySetResult();
    }

    /// <summary>Resident memory now (VmRSS), in bytes; 0 once the process is gone.</summary>
    public long ResidentBytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { return 0; }
    }

    /// <summary>kill -9: no goodbye to anyone, as a crash or a lost machine.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    public static string LastLines(string log) => string.Join(" | ", log.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
