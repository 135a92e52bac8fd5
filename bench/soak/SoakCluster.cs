using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Grains.Interfaces.Connection;

namespace OrleansLlm.Soak;

/// <summary>
/// What the soak runs against: a Redis of its own, a cluster authority with a certificate per silo and one for its own
/// client, an API key, and silo processes of the Silo program, each with the HTTP API on a loopback port, mutual TLS
/// between silos, and membership in Redis (so either silo may die). Its Orleans client deploys the model and reads the
/// shards' KV blocks.
/// </summary>
internal sealed class SoakCluster : IAsyncDisposable
{
    public const string Key = "soak-key";
    private readonly SoakOptions _options;
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-soak-").FullName;
    private readonly string _clusterId = $"soak-{Environment.ProcessId}";
    private readonly SoakProcess?[] _silos;
    private readonly int[] _siloPorts, _gatewayPorts, _httpPorts;
    private SoakProcess? _redis;
    private int _redisPort;
    private IHost? _client;

    private SoakCluster(SoakOptions options)
    {
        _options = options;
        _silos = new SoakProcess?[options.Silos];
        (_siloPorts, _gatewayPorts, _httpPorts) = (Ports(options.Silos), Ports(options.Silos), Ports(options.Silos));
    }

    public int Silos => _silos.Length;
    public Uri Http(int silo) => new($"http://127.0.0.1:{_httpPorts[silo]}/");
    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    public static async Task<SoakCluster> StartAsync(SoakOptions options, TextWriter log)
    {
        var cluster = new SoakCluster(options);
        try
        {
            await cluster.StartAllAsync(log);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync(TextWriter log)
    {
        var redis = RedisBinary() ?? throw new InvalidOperationException("redis-server is not installed (apt-get install -y redis-server): the soak keeps membership there");
        _redisPort = SoakProcess.FreePort();
        _redis = await SoakProcess.StartAsync(redis, ["--port", $"{_redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            "Ready to accept connections", TimeSpan.FromSeconds(20));
        var (ca, caCrt) = ClusterCertificates.CreateAuthority(Path.Combine(_dir, "ca"), "soak-ca", null);
        for (var i = 0; i < Silos; i++) ClusterCertificates.Issue(ca, null, Path.Combine(_dir, $"silo{i}"), $"soak-silo{i}", null);
        ClusterCertificates.Issue(ca, null, Path.Combine(_dir, "client"), "soak-client", null);
        await File.WriteAllTextAsync(Path.Combine(_dir, "api-key"), Key + "\n");
        for (var i = 0; i < Silos; i++)
        {
            await StartSiloAsync(i);
            log.WriteLine($"soak: silo {i} up (pid {_silos[i]!.Id}, HTTP {Http(i)})");
        }
        _client = await ConnectAsync(caCrt);
    }

    /// <summary>Starts silo <paramref name="i"/> (again, after a kill: a new process on the same ports).</summary>
    public async Task StartSiloAsync(int i)
    {
        string[] args =
        [
            _options.SiloDll, "--redis", $"127.0.0.1:{_redisPort}", "--cluster-id", _clusterId,
            "--silo-port", $"{_siloPorts[i]}", "--gateway-port", $"{_gatewayPorts[i]}", "--http-port", $"{_httpPorts[i]}",
            "--api-key-file", Path.Combine(_dir, "api-key"), "--tls-cert", Path.Combine(_dir, $"silo{i}.pfx"), "--tls-ca", Path.Combine(_dir, "ca.crt"),
            "--threads", "1", "--probe-timeout", "1", "--missed-probes", "2", .. _options.SiloArgs,
        ];
        _silos[i] = await SoakProcess.StartAsync("dotnet", args, "HTTP API on", TimeSpan.FromSeconds(120));
    }

    public void Kill(int silo)
    {
        _silos[silo]?.Dispose();
        _silos[silo] = null;
    }

    public long ResidentBytes(int silo) => _silos[silo]?.ResidentBytes() ?? 0;

    public string Log(int silo) => _silos[silo]?.Log ?? "";

    /// <summary>Which silo process holds the deployment's first shard (by its silo port).</summary>
    public async Task<int> SiloOfFirstShardAsync(string deployment)
    {
        var info = await Client.GetGrain<IDeploymentGrain>(deployment).GetAsync() ?? throw new InvalidOperationException($"no deployment {deployment}");
        var port = int.Parse(info.Shards[0].Silo.Split('@')[0].Split(':')[^1]);
        return Array.IndexOf(_siloPorts, port);
    }

    /// <summary>KV blocks in use and requests running over the deployment's shards, as the shards report them.</summary>
    public async Task<(int Blocks, int Requests)> KvInUseAsync(string deployment)
    {
        var info = await Client.GetGrain<IDeploymentGrain>(deployment).GetAsync() ?? throw new InvalidOperationException($"no deployment {deployment}");
        var statuses = await Task.WhenAll(info.Shards.Select(s => Client.GetGrain<IShardGrain>(s.GrainKey).StatusAsync()));
        return (statuses.Sum(s => Math.Max(0, s.KvBlocksUsed)), statuses.Sum(s => s.ActiveRequests + s.WaitingRequests));
    }

    private async Task<IHost> ConnectAsync(string authority)
    {
        var access = new ClusterAccess
        {
            ClusterId = _clusterId, Redis = $"127.0.0.1:{_redisPort}",
            Tls = ClusterTls.Load(Path.Combine(_dir, "client.pfx"), null, [], [authority]),
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(c => ClusterClient.Configure(c, access, null));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static int[] Ports(int n) => Enumerable.Range(0, n).Select(_ => SoakProcess.FreePort()).ToArray();

    private static string? RedisBinary() =>
        new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _client.StopAsync(stop.Token); } catch (OperationCanceledException) { }
            _client.Dispose();
        }
        for (var i = 0; i < _silos.Length; i++) Kill(i);
        _redis?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
