using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace OrleansLlm.Tests.Hosting;

/// <summary>
/// A redis-server of the test's own on a free loopback port, writing every change to its append-only file in a folder
/// of its own, so it can be killed and started again on the same port with its data (an outage, as a restarted Redis
/// with persistence has). Tests skip where Debian's redis-server is not installed.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-redis-").FullName;
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    public static string? Binary =>
        new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    public const string MissingReason = "redis-server is not installed (apt-get install -y redis-server; .ci/run does it)";

    public static async Task<RedisServer> StartAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var server = new RedisServer(port);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo(Binary ?? throw new InvalidOperationException(MissingReason),
            $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly yes --appendfsync always --dir {_dir}")
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _process = Process.Start(info)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync($"{Address},connectTimeout=500");
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) { await Task.Delay(100); }
        }
        throw new InvalidOperationException($"redis-server did not answer on {Address}");
    }

    /// <summary>Kills the server at once, as a crash or a lost network would take it.</summary>
    public void Stop()
    {
        _process?.Kill();
        _process?.WaitForExit();
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }
}
