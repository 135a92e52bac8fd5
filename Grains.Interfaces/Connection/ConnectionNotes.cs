using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// The last reason a connection to the cluster failed, as this node's log saw it: Orleans tells a joining silo or a
/// client only that it gave up (a cancelled task, "unable to connect to any gateway") and logs why (a refused TLS
/// certificate, another cluster id). Added as a log provider, so the start-up error can say why in one line.
/// </summary>
public sealed class ConnectionNotes : ILoggerProvider
{
    private const int Kept = 64;
    private volatile string? _last;
    private readonly Queue<string> _recent = new();
    private long _count;

    public string? Last => _last;

    /// <summary>How many reasons were logged so far: a mark to pass to <see cref="Since"/>.</summary>
    public long Count { get { lock (_recent) return _count; } }

    /// <summary>
    /// The reasons logged after <paramref name="mark"/> (the last <c>64</c> at most): several connections of one
    /// attempt can fail in either order, so "the last" alone cannot tell whether a given refusal was logged.
    /// </summary>
    public IReadOnlyList<string> Since(long mark)
    {
        lock (_recent) return _recent.Skip((int)Math.Max(0, _recent.Count - (_count - mark))).ToList();
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName.Contains(".Security.", StringComparison.Ordinal) || categoryName.EndsWith(".ConnectionManager", StringComparison.Ordinal)
        || categoryName.EndsWith(".ClusterTls", StringComparison.Ordinal)
            ? new Recorder(this) : NullLogger.Instance;

    public void Dispose() { }

    /// <summary>Whether a reason names its cause (TLS, cluster id) rather than only a closed connection.</summary>
    public static bool Named(string reason) =>
        new[] { "cluster id", "certificate", "TLS", "alert" }.Any(w => reason.Contains(w, StringComparison.OrdinalIgnoreCase));

    private sealed class Recorder(ConnectionNotes notes) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var reason = (exception is null ? formatter(state, null) : (exception.InnerException ?? exception).Message).Split('\n', 2)[0].Trim();
            lock (notes._recent)
            {
                notes._recent.Enqueue(reason);
                if (notes._recent.Count > Kept) notes._recent.Dequeue();
                notes._count++;
            }
            // A refusal that names its cause says more than the closed connections that follow it.
            if (notes._last is { } last && Named(last) && !Named(reason)) return;
            notes._last = reason;
        }
    }
}
