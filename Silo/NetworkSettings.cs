using OrleansLlm.Grains.Interfaces.Connection;
using System.Net;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Silo;

/// <summary>
/// How the silo meets the network: the addresses it listens on and advertises, where membership lives (Redis or the
/// first silo), TLS, and how fast a silent silo is declared dead. Read from the same "Olm" section as <see cref="SiloSettings"/>.
/// </summary>
public sealed class NetworkSettings
{
    public string Listen { get; set; } = "0.0.0.0";
    public string? Advertise { get; set; }
    public string? Redis { get; set; }
    public string? TlsCertificate { get; set; }
    public string? TlsPassword { get; set; }
    /// <summary>Comma-separated certificate files whose holders are accepted besides this silo's own certificate.</summary>
    public string? TlsTrust { get; set; }
    public double ProbeTimeoutSeconds { get; set; } = FailureDetection.Default.ProbeTimeout.TotalSeconds;
    public int MissedProbes { get; set; } = FailureDetection.Default.MissedProbes;
    public int DeathVotes { get; set; } = FailureDetection.Default.DeathVotes;

    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--listen"] = "Olm:Listen", ["--advertise"] = "Olm:Advertise", ["--redis"] = "Olm:Redis",
        ["--tls-cert"] = "Olm:TlsCertificate", ["--tls-password"] = "Olm:TlsPassword", ["--tls-trust"] = "Olm:TlsTrust",
        ["--probe-timeout"] = "Olm:ProbeTimeoutSeconds", ["--missed-probes"] = "Olm:MissedProbes", ["--death-votes"] = "Olm:DeathVotes",
    };

    public SiloEndpoints Endpoints(int siloPort, int gatewayPort, IPEndPoint? primary) => new(siloPort, gatewayPort)
    {
        Listen = Address(Listen, "--listen"),
        Advertise = Advertise is null ? null : Address(Advertise, "--advertise"),
        Primary = primary,
    };

    public ClusterAccess Access(string clusterId)
    {
        if (Redis is not null) RedisConnection.Options(Redis);
        return new ClusterAccess
        {
            ClusterId = clusterId,
            Redis = Redis,
            Tls = TlsCertificate is null ? null : ClusterTls.Load(TlsCertificate, TlsPassword, Split(TlsTrust)),
        };
    }

    public FailureDetection Detection()
    {
        var d = new FailureDetection(TimeSpan.FromSeconds(ProbeTimeoutSeconds), MissedProbes, DeathVotes);
        d.Validate();
        return d;
    }

    public void Validate(string? primary)
    {
        Endpoints(1, 1, null);
        Detection();
        if (Redis is not null && primary is not null)
            throw new ArgumentException("give --redis or --primary, not both: with Redis every silo finds the others there");
        if (TlsTrust is not null && TlsCertificate is null) throw new ArgumentException("--tls-trust needs --tls-cert");
    }

    private static string[] Split(string? list) =>
        list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private static IPAddress Address(string text, string option) =>
        IPAddress.TryParse(text, out var ip) ? ip
        : throw new ArgumentException($"{option} must be an IP address of this machine, got '{text}'");

    public const string Help = """
          --listen IP          address the silo and gateway ports listen on (default 0.0.0.0: every interface)
          --advertise IP       address other silos and clients reach this silo at (default: the machine's primary address)
          --redis HOST:PORT    keep membership and deployments in this Redis: any silo may die, the first included
          --tls-cert FILE      TLS with this certificate (.pfx, from `olm cert create`); peers must show it or a trusted one
          --tls-password TEXT  password of the .pfx file, if it has one
          --tls-trust FILES    comma-separated certificate files (.crt or .pfx) of peers accepted besides --tls-cert
          --probe-timeout S    seconds between probes of each silo and to wait for an answer (default 2)
          --missed-probes N    missed probes before a silo suspects another (default 3)
          --death-votes N      suspicions that declare a silo dead (default 2, or half the active silos if fewer)
        """;
}
