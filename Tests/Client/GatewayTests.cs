using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using OrleansLlm.Engine;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Client;

/// <summary>`olm` as a client of a running silo: through its gateway, with the silo's cluster id.</summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private IHost _silo = null!;
    private int _gateway;
    private const string ClusterId = "olm-gateway-test";

    public async Task InitializeAsync()
    {
        var ports = FreePorts(2);
        _gateway = ports[1];
        _silo = OlmHosts.SiloBuilder(SiloEndpoints.Loopback(ports[0], ports[1]), new ClusterAccess { ClusterId = ClusterId },
            new OlmSiloOptions { Threads = 1 }, quiet: true).Build();
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.StopAsync();
        _silo.Dispose();
    }

    [Fact]
    public async Task GenerateAndStatusGoThroughTheGateway()
    {
        var f = new Fixture("llama-tiny");
        var gateway = $"127.0.0.1:{_gateway}";
        var (code, stdout, stderr) = await OlmProcess.Run("generate", "--model", f.Dir, "--prompt-ids", "5,6,7",
            "--max-tokens", "6", "--gateway", gateway, "--cluster-id", ClusterId, "--json");
        Assert.True(code == 0, stderr);
        using var local = LocalModel.Load(f.Dir);
        var want = new List<int>();
        await foreach (var t in local.GenerateAsync([5, 6, 7], new GenerationOptions { MaxNewTokens = 6 })) want.Add(t.Id);
        Assert.Equal(want, OlmProcess.LastJson(stdout).GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));

        // The deployment outlives the client that made it: status, from another client, lists it.
        (code, stdout, stderr) = await OlmProcess.Run("status", "--gateway", gateway, "--cluster-id", ClusterId, "--json");
        Assert.True(code == 0, stderr);
        var deployments = OlmProcess.LastJson(stdout).GetProperty("deployments").EnumerateArray().ToList();
        Assert.Contains(deployments, d => d.GetProperty("model").GetString() == f.Dir && d.GetProperty("state").GetString() == "ready");
    }

    [Fact]
    public async Task AnotherClusterIdIsRefusedWithOneLine()
    {
        var (code, _, stderr) = await OlmProcess.Run("status", "--gateway", $"127.0.0.1:{_gateway}", "--cluster-id", "someone-else", "--json");
        Assert.NotEqual(0, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("olm: ", stderr);
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
