using System.Diagnostics;
using System.Text.Json;

namespace OrleansLlm.Tests.Client;

/// <summary>Runs the `olm` console (Client.dll) as a real process and reads what it prints.</summary>
public static class OlmProcess
{
    public static Task<(int Code, string Out, string Err)> Run(params string[] args) => RunWithInput(null, args);

    /// <summary>Runs olm and holds it to a refusal: exit code 2 and one line on stderr containing <paramref name="message"/>.</summary>
    public static async Task AssertRefusedInOneLine(string message, params string[] args)
    {
        var (code, _, stderr) = await Run(args);
        Xunit.Assert.Equal(2, code);
        var lines = stderr.Trim().Split('\n');
        Xunit.Assert.Single(lines);
        Xunit.Assert.Contains(message, lines[0]);
    }

    /// <summary>Runs olm with <paramref name="input"/> as its stdin (then closed).</summary>
    public static async Task<(int Code, string Out, string Err)> RunWithInput(string? input, params string[] args)
    {
        using var p = Start(args);
        if (input is not null) await p.StandardInput.WriteAsync(input);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// olm as its own build left it (Client/bin/CONFIG/TFM): the copy beside the tests would run on the tests' frameworks,
    /// which include ASP.NET Core (for the silo's HTTP API) where olm's own does not.
    /// </summary>
    internal static readonly string ClientDll = Locate();

    private static string Locate()
    {
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfm.Parent!;
        var repository = configuration.Parent!.Parent!.Parent!;
        var own = Path.Combine(repository.FullName, "Client", "bin", configuration.Name, tfm.Name, "Client.dll");
        return File.Exists(own) ? own : throw new FileNotFoundException($"olm's build output is not at {own}: build the solution first");
    }

    /// <summary>olm started with its three streams redirected: through `dotnet Client.dll`, or as the built executable.</summary>
    public static Process Start(params string[] args) => Start(executable: false, args);

    public static Process Start(bool executable, params string[] args)
    {
        var program = executable ? Path.ChangeExtension(ClientDll, null) : Environment.ProcessPath!.EndsWith("dotnet") ? Environment.ProcessPath : "dotnet";
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (!executable) info.ArgumentList.Add(ClientDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>The built executable (Client/bin/.../Client), as the README's everyday way runs olm.</summary>
    public static async Task<(int Code, string Out, string Err)> RunExecutable(params string[] args)
    {
        using var p = Start(executable: true, args);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>What Ctrl+C sends (SIGINT).</summary>
    public static void Interrupt(Process p)
    {
        if (Kill(p.Id, 2) != 0) throw new InvalidOperationException($"cannot signal process {p.Id}");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    public static JsonElement LastJson(string stdout) =>
        JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
}
