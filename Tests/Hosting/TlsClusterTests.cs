using OrleansLlm.Grains.Interfaces.Connection;
using System.Net;
using Microsoft.Extensions.Hosting;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Client;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>
/// A two-silo cluster with TLS on every connection (real TCP on loopback), certificates from `olm cert create`: a client
/// with the cluster's certificate is served; a client or silo with another certificate, without one, or with another
/// cluster id is refused at the handshake and told why in one line.
/// </summary>
public sealed class TlsClusterTests(TlsCluster cluster) : IClassFixture<TlsCluster>
{
    private const string ClusterId = TlsCluster.ClusterId;
    private string Cert(string name) => cluster.Cert(name);
    private string Gateway => cluster.Gateway;

    [Fact]
    public async Task AClientWithTheClusterCertificateIsServed()
    {
        var model = new Fixture("llama-tiny").Dir;
        var (code, stdout, stderr) = await OlmProcess.Run("generate", "--model", model, "--prompt-ids", "5,6,7", "--max-tokens", "6",
            "--shards", "2", "--gateway", Gateway, "--cluster-id", ClusterId, "--tls-cert", Cert("cluster"), "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(await Greedy.Ids(model, [5, 6, 7], 6), OlmProcess.LastJson(stdout).GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [InlineData("intruder", "certificate CN=cluster")]
    [InlineData(null, "--tls-cert")]
    public async Task AClientWithAnotherCertificateOrNoneIsRefusedInOneLine(string? cert, string said)
    {
        string[] tls = cert is null ? [] : ["--tls-cert", Cert(cert)];
        var (code, _, stderr) = await OlmProcess.Run(["status", "--gateway", Gateway, "--cluster-id", ClusterId, .. tls]);
        Assert.NotEqual(0, code);
        Assert.StartsWith("olm: cannot reach a cluster", Assert.Single(stderr.Trim().Split('\n')));
        Assert.Contains(said, stderr);
    }

    [Theory]
    [InlineData("intruder", ClusterId, "certificate")]
    [InlineData("cluster", "someone-else", "cluster id")]
    public async Task ASiloWithAnotherCertificateOrClusterIdCannotJoinAndSaysWhy(string cert, string clusterId, string said)
    {
        var e = await Assert.ThrowsAsync<OlmException>(() =>
            cluster.Start(TlsCluster.Access(Cert(cert), clusterId), 4, primary: true));
        Assert.StartsWith($"cannot join cluster '{clusterId}'", e.Message);
        Assert.True(e.Message.Contains(said, StringComparison.Ordinal), e.Message);
    }
}

/// <summary>The TLS cluster the tests share: two silos with the "cluster" certificate; "intruder" is another one.</summary>
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
        foreach (var name in new[] { "cluster", "intruder" })
        {
            var (code, _, stderr) = await OlmProcess.Run("cert", "create", "--out", Path.Combine(_dir, name), "--name", name);
            Assert.True(code == 0, stderr);
        }
        _ports = LoopbackPorts.Free(6);
        var access = Access(Cert("cluster"));
        _silos.Add(await Start(access, 0, primary: false));
        _silos.Add(await Start(access, 2, primary: true));
    }

    public static ClusterAccess Access(string cert, string clusterId = ClusterId) =>
        new() { ClusterId = clusterId, Tls = ClusterTls.Load(cert, null, []) };

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
