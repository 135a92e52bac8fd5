using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// The one Redis connection of a silo or client, shared by membership and grain storage. It refuses to start without
/// Redis (one line naming it), and later says once when Redis goes away and once when it is back, instead of every
/// failed command's stack trace; StackExchange.Redis reconnects by itself meanwhile.
/// </summary>
public sealed partial class RedisConnection(ClusterAccess access, ILogger<RedisConnection> log) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ConnectionMultiplexer? _multiplexer;
    private int _lost;

    private string Address => access.Redis ?? throw new InvalidOperationException("this cluster is seed-based: no Redis");

    public static ConfigurationOptions Options(string redis)
    {
        ConfigurationOptions o;
        try { o = ConfigurationOptions.Parse(redis); }
        catch (ArgumentException e) { throw new ArgumentException($"--redis must be HOST:PORT, got '{redis}' ({e.Message})"); }
        if (o.EndPoints.Count == 0) throw new ArgumentException($"--redis must be HOST:PORT, got '{redis}'");
        o.ConnectTimeout = 3000;
        o.ConnectRetry = 1; // a first connection gives up in 3 s, not 3 × 3 s
        // An idle connection pings every 2 s, so a Redis cut off the network is noticed (and said) within seconds,
        // not at the next membership write a minute later.
        o.KeepAlive = 2;
        o.AsyncTimeout = o.SyncTimeout = 3000;
        o.AbortOnConnectFail = true; // only the first connection: afterwards the multiplexer keeps reconnecting
        return o;
    }

    /// <summary>This connection's Redis options (providers insist on having them, though they share the connection).</summary>
    public ConfigurationOptions Options() => Options(Address);

    /// <summary>Where a Redis is, for messages and logs: its endpoints, never the password its options may carry.</summary>
    public static string Describe(string redis)
    {
        try { return string.Join(",", ConfigurationOptions.Parse(redis).EndPoints.Select(EndPointCollection.ToString)); }
        catch (ArgumentException) { return "(unreadable --redis)"; }
    }

    public async Task<IConnectionMultiplexer> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _multiplexer ??= await Connect();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ConnectionMultiplexer> Connect()
    {
        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(Options(Address));
        }
        catch (RedisConnectionException e)
        {
            throw new OlmException($"cannot reach Redis at {Describe(Address)} ({e.FailureType})");
        }
        multiplexer.ConnectionFailed += (_, e) => Lost(e.FailureType.ToString());
        multiplexer.ConnectionRestored += (_, _) => Back();
        return multiplexer;
    }

    /// <summary>Redis did not answer (a failed connection, or an unanswered ping): said once until it is back.</summary>
    public void Lost(string why)
    {
        if (Interlocked.Exchange(ref _lost, 1) == 0) LogLost(log, Describe(Address), why);
    }

    public void Back()
    {
        if (Interlocked.Exchange(ref _lost, 0) == 1) LogBack(log, Describe(Address));
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is not null) await _multiplexer.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis at {Redis} is unreachable ({Failure}): membership changes and control state wait for it; running requests go on")]
    private static partial void LogLost(ILogger logger, string redis, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {Redis} is back")]
    private static partial void LogBack(ILogger logger, string redis);
}
