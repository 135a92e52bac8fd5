using OrleansLlm.Grains.Interfaces.Connection;
using System.CommandLine;

namespace OrleansLlm.Client.Connection;

/// <summary>How a command reaches a running cluster besides --gateway and --cluster-id: Redis and TLS.</summary>
internal sealed class ConnectionOptions
{
    public Option<string?> Redis { get; } = new("--redis")
    {
        Description = "HOST:PORT of the Redis the cluster keeps membership in; gateways are found there (instead of --gateway)",
        DefaultValueFactory = _ => OrleansLlm.Switches.OlmSwitches.Redis.Value,
    };
    public Option<string?> TlsCert { get; } = new("--tls-cert")
    {
        Description = "TLS certificate (.pfx) to show the cluster's gateways; needed where the silos run with --tls-cert (OLM_TLS_CERT)",
        DefaultValueFactory = _ => OrleansLlm.Switches.OlmSwitches.TlsCert.Value,
    };
    public Option<string?> TlsPassword { get; } = new("--tls-password") { Description = "password of the .pfx, if it has one" };
    public Option<string?> TlsTrust { get; } = new("--tls-trust") { Description = "comma-separated certificate files of gateways accepted besides --tls-cert's own" };
    public Option<string?> TlsCa { get; } = new("--tls-ca")
    {
        Description = "comma-separated cluster authority certificates (.crt from `olm cert ca`): gateways with a certificate they issued are accepted (OLM_TLS_CA)",
        DefaultValueFactory = _ => OrleansLlm.Switches.OlmSwitches.TlsCa.Value,
    };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Redis, TlsCert, TlsPassword, TlsTrust, TlsCa }) command.Options.Add(o);
    }

    /// <summary>True when the command starts its own embedded cluster: neither a gateway nor Redis given.</summary>
    public bool Embedded(ParseResult r, string? gateway) => gateway is null && r.GetValue(Redis) is null;

    /// <summary>How to reach the cluster; an explicit --gateway wins over an OLM_REDIS default.</summary>
    public ClusterAccess Access(ParseResult r, string clusterId, string? gateway)
    {
        var redis = gateway is not null && r.GetResult(Redis) is null or { Implicit: true } ? null : r.GetValue(Redis);
        if (redis is not null) RedisConnection.Options(redis);
        var trust = Files(r.GetValue(TlsTrust));
        var authorities = Files(r.GetValue(TlsCa));
        if (r.GetValue(TlsCert) is null && trust.Length + authorities.Length > 0)
            throw new ArgumentException($"{(trust.Length > 0 ? "--tls-trust" : "--tls-ca")} needs --tls-cert");
        return new ClusterAccess
        {
            ClusterId = clusterId,
            Redis = redis,
            Tls = r.GetValue(TlsCert) is { } cert ? ClusterTls.Load(cert, r.GetValue(TlsPassword), trust, authorities) : null,
        };
    }

    private static string[] Files(string? list) =>
        list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
