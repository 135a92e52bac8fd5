using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// Where a silo listens, what address it gives the others, and (seed-based clustering) the first silo it joins through.
/// </summary>
public sealed record SiloEndpoints(int SiloPort, int GatewayPort)
{
    /// <summary>Address the silo and gateway ports are bound to: this machine only unless a host opens them.</summary>
    public IPAddress Listen { get; init; } = IPAddress.Loopback;

    /// <summary>Address other silos and clients are told to reach this silo at; null: the machine's primary address.</summary>
    public IPAddress? Advertise { get; init; }

    /// <summary>Silo port of the first silo (seed-based clustering); null on the first silo and with Redis.</summary>
    public IPEndPoint? Primary { get; init; }

    /// <summary>A silo reachable from this machine only, as embedded clusters and bench processes run.</summary>
    public static SiloEndpoints Loopback(int siloPort, int gatewayPort, IPEndPoint? primary = null) =>
        new(siloPort, gatewayPort) { Listen = IPAddress.Loopback, Advertise = IPAddress.Loopback, Primary = primary };

    /// <summary>
    /// The advertised address: as told, else the listening address when it is one, else the first IPv4 address of an
    /// interface that is up and not loopback (the machine's primary address), else loopback on a machine with none.
    /// </summary>
    public IPAddress AdvertisedAddress() =>
        Advertise ?? (!Listen.Equals(IPAddress.Any) ? Listen : PrimaryAddress() ?? IPAddress.Loopback);

    private static IPAddress? PrimaryAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
