using System.Net.Sockets;
using Orleans.Runtime;

namespace OrleansLlm.Grains.Hosting;

/// <summary>Why a silo or client could not start, as one line: the cause Orleans' start-up wrappers bury.</summary>
public static class StartupError
{
    /// <summary>The one-line reason: the cause named where it is known, else the innermost exception's type and first line.</summary>
    public static string Describe(Exception e)
    {
        var causes = Chain(e).ToList();
        if (causes.OfType<OlmException>().FirstOrDefault() is { } olm) return olm.Message;
        if (causes.OfType<ArgumentException>().FirstOrDefault() is { } arg) return FirstLine(arg.Message);
        if (causes.OfType<SocketException>().FirstOrDefault() is { SocketErrorCode: SocketError.AddressAlreadyInUse } inUse)
            return $"a port is in use by another program ({FirstLine(inUse.Message)})";
        if (causes.OfType<SocketException>().FirstOrDefault() is { SocketErrorCode: SocketError.AddressNotAvailable })
            return "--listen names an address this machine does not have";
        if (causes.OfType<OrleansException>().FirstOrDefault(c => c.Message.Contains("connectivity", StringComparison.OrdinalIgnoreCase)) is { } join)
            return $"cannot join the cluster: the silos listed as active do not answer this one (a different --cluster-id, a TLS certificate they refuse, or an address they cannot reach): {FirstLine(join.Message)}";
        var last = causes[^1];
        return $"{FirstLine(last.Message)} ({last.GetType().Name})";
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? c = e; c is not null; c = c.InnerException)
        {
            yield return c;
            if (c is AggregateException { InnerExceptions.Count: > 1 } a)
                foreach (var inner in a.InnerExceptions.SelectMany(Chain)) yield return inner;
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
