using OrleansLlm.Grains.Interfaces.Connection;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Client;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>
/// A two-silo cluster with mutual TLS on every connection (real TCP on loopback), each silo with its own certificate from
/// the cluster authority (`olm cert ca`, `olm cert issue`): a client with a certificate the authority issued is served; a
/// client or silo with another certificate (self-signed, or another authority's), without one, or with another cluster
/// id is refused at the handshake and told why in one line, and the silo logs the refusal.
/// </summary>
public sealed class TlsClusterTests(TlsCluster cluster) : IClassFixture<TlsCluster>
{
    private const string ClusterId = TlsCluster.ClusterId;
    private string Cert(string name) => cluster.Cert(name);
    private string Gateway => cluster.Gateway;

    [Fact]
    public async Task AClientWithACertificateOfTheClusterAuthorityIsServed()
    {
        var model = new Fixture("llama-tiny").Dir;
        var (code, stdout, stderr) = await OlmProcess.Run("generate", "--model", model, "--prompt-ids", "5,6,7", "--max-tokens", "6",
            "--shards", "2", "--gateway", Gateway, "--cluster-id", ClusterId, "--tls-cert", Cert("client"), "--tls-ca", cluster.Authority, "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(await Greedy.Ids(model, [5, 6, 7], 6), OlmProcess.LastJson(stdout).GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [InlineData("intruder", "may refuse this client's certificate CN=intruder", "showed certificate CN=intruder")]
    [InlineData("stranger", "may refuse this client's certificate CN=client", "showed certificate CN=client")]
    [InlineData(null, "--tls-cert", "no TLS handshake with a certificate")]
    public async Task AClientWithAnotherCertificateOrNoneIsRefusedInOneLineAndTheSiloLogsIt(string? cert, string said, string logged)
    {
        string[] tls = cert is null ? [] : ["--tls-cert", Cert(cert), "--tls-ca", cluster.Authority];
        var marks = cluster.Marks();
        var (code, _, stderr) = await OlmProcess.Run(["status", "--gateway", Gateway, "--cluster-id", ClusterId, .. tls]);
        Assert.NotEqual(0, code);
        Assert.StartsWith("olm: cannot reach a cluster", Assert.Single(stderr.Trim().Split('\n')));
        Assert.True(stderr.Contains(said, StringComparison.Ordinal), stderr);
        // Logged just after the refusal reached the client, so wait a moment for it rather than racing the silo's log.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!cluster.RefusalsSince(marks).Any(r => r.Contains(logged, StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(cluster.RefusalsSince(marks).Any(r => r.Contains(logged, StringComparison.Ordinal)), string.Join("\n", cluster.RefusalsSince(marks)));
    }

    [Theory]
    [InlineData("intruder", ClusterId, "certificate")]
    [InlineData("stranger", ClusterId, "certificate")]
    [InlineData("silo-c", "someone-else", "cluster id")]
    public async Task ASiloWithAnotherCertificateOrClusterIdCannotJoinAndSaysWhy(string cert, string clusterId, string said)
    {
        var e = await Assert.ThrowsAsync<OlmException>(() =>
            cluster.Start(cluster.Access(Cert(cert), clusterId), 4, primary: true));
        Assert.StartsWith($"cannot join cluster '{clusterId}'", e.Message);
        Assert.True(e.Message.Contains(said, StringComparison.Ordinal), e.Message);
    }
}

/// <summary>
/// The TLS cluster the tests share: two silos with certificates of the cluster authority ("silo-a", "silo-b"); "client"
/// and "silo-c" are the authority's too; "intruder" is self-signed and "stranger" comes from another authority.
/// </summary>
public sealed class TlsCluster : IAsyncLifetime
{
    public const string ClusterId = "olm-tls";
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-tls-").FullName;
    private readonly List<IHost> _silos = [];
    private int[] _ports = [];

    public string Cert(string name) => Path.Combine(_dir, name + ".pfx");
    public string Gateway => $"127.0.0.1:{_ports[1]}";

    public async Task InitializeAsync()
    {
        await Olm("cert", "ca", "--out", Path.Combine(_dir, "ca"), "--name", "test-ca");
        await Olm("cert", "ca", "--out", Path.Combine(_dir, "other-ca"), "--name", "other-ca");
        foreach (var name in new[] { "silo-a", "silo-b", "silo-c", "client" })
            await Olm("cert", "issue", "--ca", Cert("ca"), "--out", Path.Combine(_dir, name), "--name", name);
        await Olm("cert", "issue", "--ca", Cert("other-ca"), "--out", Path.Combine(_dir, "stranger"), "--name", "client");
        await Olm("cert", "create", "--out", Path.Combine(_dir, "intruder"), "--name", "intruder");
        _ports = LoopbackPorts.Free(6);
        _silos.Add(await Start(Access(Cert("silo-a")), 0, primary: false));
        _silos.Add(await Start(Access(Cert("silo-b")), 2, primary: true));
    }

    public string Authority => Path.Combine(_dir, "ca.crt");

    private ConnectionNotes Notes(IHost silo) => silo.Services.GetRequiredService<ConnectionNotes>();

    /// <summary>Where each silo's log of refused connections stands now.</summary>
    public long[] Marks() => _silos.Select(s => Notes(s).Count).ToArray();

    /// <summary>What the silos logged of the connections they refused after <paramref name="marks"/>.</summary>
    public IReadOnlyList<string> RefusalsSince(long[] marks) => _silos.SelectMany((s, i) => Notes(s).Since(marks[i])).ToList();

    private static async Task Olm(params string[] args)
    {
        var (code, _, stderr) = await OlmProcess.Run(args);
        Assert.True(code == 0, stderr);
    }

    public ClusterAccess Access(string cert, string clusterId = ClusterId) =>
        new() { ClusterId = clusterId, Tls = ClusterTls.Load(cert, null, [], [Authority]) };

    /// <summary>A silo on the port pair at <paramref name="port"/>, joining through the first one unless it is the first.</summary>
    public async Task<IHost> Start(ClusterAccess access, int port, bool primary)
    {
        var seed = primary ? new IPEndPoint(IPAddress.Loopback, _ports[0]) : null;
        var host = OlmHosts.SiloBuilder(SiloEndpoints.Loopback(_ports[port], _ports[port + 1], seed), access,
            new OlmSiloOptions { Threads = 1 }, quiet: true).Build();
        try
        {
            await OlmHosts.StartSiloAsync(host, access, joinTimeout: TimeSpan.FromSeconds(15));
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in Enumerable.Reverse(_silos))
        {
            await silo.StopAsync();
            silo.Dispose();
        }
        Directory.Delete(_dir, recursive: true);
    }
}
