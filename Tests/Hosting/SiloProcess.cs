using System.Diagnostics;
using System.Text;

namespace OrleansLlm.Tests.Hosting;

/// <summary>The Silo program as a real process (Silo.dll beside the tests), so it can be killed as a crash kills.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Line(e.Data);
        _process.ErrorDataReceived += (_, e) => Line(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static async Task<SiloProcess> StartAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Silo.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        var silo = new SiloProcess(Process.Start(info)!);
        var exited = silo._process.WaitForExitAsync();
        if (await Task.WhenAny(silo._up.Task, exited, Task.Delay(TimeSpan.FromSeconds(90))) != silo._up.Task)
        {
            await silo.DisposeAsync();
            throw new InvalidOperationException($"silo did not start: {silo.Log}");
        }
        return silo;
    }

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        if (line.StartsWith("silo up", StringComparison.Ordinal)) _up.TrySetResult();
    }

    /// <summary>kill -9: no goodbye to the cluster, as a crash or a pulled cable.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
