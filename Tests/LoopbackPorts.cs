using System.Net;
using System.Net.Sockets;

namespace OrleansLlm.Tests;

/// <summary>Ports on loopback that were free a moment ago: each is bound once by the OS's choice, then let go.</summary>
internal static class LoopbackPorts
{
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
