using System.Diagnostics;
using OrleansLlm.Grains.Interfaces.Connection;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>
/// Silo/Hosts/netns-hosts.sh driven from a test: silos as hosts in network namespaces of their own, on a bridge and
/// subnet named for this test process so parallel runs never meet. Skipped where there is no root or no `ip netns`.
/// </summary>
public sealed class NetnsHosts : IAsyncDisposable
{
    /// <summary>The tests that start hosts run one at a time: they share this process's bridge, subnet and names.</summary>
    public const string Collection = "netns hosts";

    private readonly Dictionary<string, string> _env;

    private NetnsHosts(string name, string subnet)
    {
        Name = name;
        Subnet = subnet;
        _env = new()
        {
            ["OLM_NET"] = name, ["OLM_SUBNET"] = subnet, ["SILO_DLL"] = Path.Combine(AppContext.BaseDirectory, "Silo.dll"),
            ["CLIENT_DLL"] = Client.OlmProcess.ClientDll,
            ["OLM_STATE"] = Path.Combine(Path.GetTempPath(), $"olm-net-{name}"),
        };
    }

    public string Name { get; }
    public string Subnet { get; }
    public string Redis => $"{Subnet}.2:6379";
    public string Address(int silo) => $"{Subnet}.{11 + silo}";
    public string Log(int silo) => File.ReadAllText(Path.Combine(_env["OLM_STATE"], $"h{silo}.log"));

    /// <summary>The hosts listen on their bridge addresses, so with mutual TLS: the client certificate `up` made.</summary>
    public string[] ClientTls => ["--tls-cert", Tls("client.pfx"), "--tls-ca", Tls("ca.crt")];

    /// <summary>How an in-process client reaches the hosts: their cluster id and the client certificate.</summary>
    public ClusterAccess Access => new() { ClusterId = Name, Tls = ClusterTls.Load(Tls("client.pfx"), null, [], [Tls("ca.crt")]) };

    private string Tls(string file) => Path.Combine(_env["OLM_STATE"], "tls", file);

    /// <summary>Why this machine cannot run the namespaced hosts, or null when it can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return "network namespaces need root on Linux";
        if (RedisServer.Binary is null) return RedisServer.MissingReason;
        try
        {
            using var p = Process.Start(new ProcessStartInfo("ip", "netns list") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.WaitForExit();
            return p.ExitCode == 0 ? null : "`ip netns` is not available here";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "`ip` (iproute2) is not installed";
        }
    }

    public static async Task<NetnsHosts> UpAsync(int silos)
    {
        var id = Environment.ProcessId % 200;
        var hosts = new NetnsHosts($"olmx{id}", $"10.213.{40 + id}");
        await hosts.RunAsync("down");
        var (code, output) = await hosts.RunAsync("up", silos.ToString());
        if (code != 0) throw new InvalidOperationException($"netns-hosts.sh up failed: {output}");
        return hosts;
    }

    public Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var script = Path.Combine(RepositoryRoot(), "Silo", "Hosts", "netns-hosts.sh");
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in _env) info.Environment[k] = v;
        return Run(info);
    }

    private static async Task<(int, string)> Run(ProcessStartInfo info)
    {
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (p.ExitCode, await stdout + await stderr);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OrleansLlm.sln"))) return dir.FullName;
        throw new InvalidOperationException("the tests run outside the repository: no OrleansLlm.sln above them");
    }

    public async ValueTask DisposeAsync() => await RunAsync("down");
}

[CollectionDefinition(NetnsHosts.Collection)]
public sealed class NetnsHostsCollection;
