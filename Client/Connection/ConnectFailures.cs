using Microsoft.Extensions.Logging;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Connection;

/// <summary>
/// Why a client's connection failed, for its one-line error: Orleans reports a refused TLS handshake only as a closed
/// connection, and logs the reason, so the client keeps the last TLS warning its (otherwise silent) log saw.
/// </summary>
internal sealed class ConnectFailures : ILoggerProvider
{
    private volatile string? _tls;

    public string Reason(Exception e, ClusterAccess access)
    {
        for (Exception? c = e; c is not null; c = c.InnerException)
            if (c is OlmException olm) return olm.Message;
        if (access.Tls?.LastRefusal is { } refused) return refused;
        if (_tls is { } tls) return $"the TLS handshake failed: {tls}";
        var reason = (e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e).Message.Split('\n')[0].Trim();
        return access.Tls is null ? reason + " (if its silos run with --tls-cert, give --tls-cert too)" : reason;
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName.Contains(".Security.", StringComparison.Ordinal) ? new TlsLogger(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose() { }

    private sealed class TlsLogger(ConnectFailures owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is not null) owner._tls = (exception.InnerException ?? exception).Message.Split('\n')[0].Trim();
        }
    }
}
