using System.Diagnostics;
using System.Text.Json;

namespace OrleansLlm.Tests.Client;

/// <summary>Runs the `olm` console (Client.dll) as a real process and reads what it prints.</summary>
public static class OlmProcess
{
    public static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!.EndsWith("dotnet") ? Environment.ProcessPath : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Client.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (p.ExitCode, await stdout, await stderr);
    }

    public static JsonElement LastJson(string stdout) =>
        JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
}
