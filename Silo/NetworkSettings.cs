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
    /// <summary>Loopback unless the operator opens the silo to the network, which then needs TLS (<see cref="Validate"/>).</summary>
    public string Listen { get; set; } = "127.0.0.1";
    public string? Advertise { get; set; }
    public string? Redis { get; set; }
    public string? TlsCertificate { get; set; }
    public string? TlsPassword { get; set; }
    /// <summary>Comma-separated certificate files whose holders are accepted besides this silo's own certificate.</summary>
    public string? TlsTrust { get; set; }
    /// <summary>Comma-separated certificate files of cluster authorities whose issued certificates are accepted.</summary>
    public string? TlsCa { get; set; }
    public double ProbeTimeoutSeconds { get; set; } = FailureDetection.Default.ProbeTimeout.TotalSeconds;
    public int MissedProbes { get; set; } = FailureDetection.Default.MissedProbes;
    public int DeathVotes { get; set; } = FailureDetection.Default.DeathVotes;

    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--listen"] = "Olm:Listen", ["--advertise"] = "Olm:Advertise", ["--redis"] = "Olm:Redis",
        ["--tls-cert"] = "Olm:TlsCertificate", ["--tls-password"] = "Olm:TlsPassword", ["--tls-trust"] = "Olm:TlsTrust", ["--tls-ca"] = "Olm:TlsCa",
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
            Tls = TlsCertificate is null ? null : ClusterTls.Load(TlsCertificate, TlsPassword, Split(TlsTrust), Split(TlsCa)),
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
        if (TlsCertificate is null && (TlsTrust ?? TlsCa) is not null) throw new ArgumentException($"{(TlsTrust is null ? "--tls-ca" : "--tls-trust")} needs --tls-cert");
        var listen = Address(Listen, "--listen");
        if (!IPAddress.IsLoopback(listen) && TlsCertificate is null)
            throw new ArgumentException($"--listen {Listen} opens the silo and gateway ports to the network, which needs mutual TLS: " +
                                        "give --tls-cert (and --tls-ca or --tls-trust; `olm cert --help` makes them), or leave --listen out to stay on loopback");
    }

    /// <summary>Whether the silo and gateway ports take connections from other machines.</summary>
    public bool Open => !IPAddress.IsLoopback(Address(Listen, "--listen"));

    private static string[] Split(string? list) =>
        list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private static IPAddress Address(string text, string option) =>
        IPAddress.TryParse(text, out var ip) ? ip
        : throw new ArgumentException($"{option} must be an IP address of this machine, got '{text}'");

    public const string Help = """
          --listen IP          address the silo and gateway ports listen on (default 127.0.0.1: this machine only); any other
                               address, 0.0.0.0 included, opens them and needs --tls-cert (the silo refuses to start without)
          --advertise IP       address other silos and clients reach this silo at (default: the --listen address, or the
                               machine's primary address for 0.0.0.0)
          --redis HOST:PORT    keep membership and deployments in this Redis: any silo may die, the first included
          --tls-cert FILE      mutual TLS with this certificate (.pfx from `olm cert issue` or `olm cert create`); a peer must
                               show the same one, a --tls-trust one, or one a --tls-ca authority issued
          --tls-password TEXT  password of the .pfx file, if it has one
          --tls-ca FILES       comma-separated cluster authority certificates (.crt from `olm cert ca`): accept what they issued
          --tls-trust FILES    comma-separated certificate files (.crt or .pfx) of peers accepted besides --tls-cert
          --probe-timeout S    seconds between probes of each silo and to wait for an answer (default 2)
          --missed-probes N    missed probes before a silo suspects another (default 3)
          --death-votes N      suspicions that declare a silo dead (default 2, or half the active silos if fewer)
        """;
}
