using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// Mutual TLS on every silo-to-silo and client-to-gateway connection. Each side shows its certificate and accepts the
/// other's only when it is pinned (the same certificate as its own, or one of the trusted certificate files) or was
/// issued by one of the cluster authorities it trusts (<c>olm cert ca</c>). Host names are not checked (nodes are known
/// by their certificates, not their addresses), and a certificate from a public authority is not enough to join.
/// </summary>
public sealed partial class ClusterTls
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>The refusal of the handshake running on this flow, kept for the one line its connection logs.</summary>
    private static readonly AsyncLocal<StrongBox<string?>?> Handshake = new();

    private readonly HashSet<string> _pinned;
    private readonly X509Certificate2Collection _authorities;

    private ClusterTls(X509Certificate2 certificate, IEnumerable<X509Certificate2> trusted, IEnumerable<X509Certificate2> authorities)
    {
        Certificate = certificate;
        _pinned = trusted.Append(certificate).Select(c => c.Thumbprint).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _authorities = new X509Certificate2Collection(authorities.ToArray());
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>Why the last handshake of this process was refused on this side, if one was (for the client's message).</summary>
    public string? LastRefusal { get; private set; }

    /// <summary>
    /// Loads a PKCS#12 (.pfx) certificate with its private key, the public certificates (.crt, .pem, .pfx) of peers to
    /// accept as they are, and the cluster authorities (.crt) whose certificates to accept.
    /// </summary>
    public static ClusterTls Load(string certificateFile, string? password, IEnumerable<string> trustedFiles, IEnumerable<string>? authorityFiles = null)
    {
        var certificate = ReadPkcs12(certificateFile, password);
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"TLS certificate {certificateFile} holds no private key (give the .pfx that `olm cert` wrote)");
        if (ClusterCertificates.IsAuthority(certificate))
            throw new ArgumentException($"{certificateFile} is a cluster authority: give it to `olm cert issue`, and a node's certificate to --tls-cert");
        var trusted = trustedFiles.Select(f => Read(f, () => Path.GetExtension(f).Equals(".pfx", StringComparison.OrdinalIgnoreCase)
            ? X509CertificateLoader.LoadPkcs12FromFile(f, password) : X509CertificateLoader.LoadCertificateFromFile(f))).ToList();
        var authorities = (authorityFiles ?? []).Select(ReadAuthority).ToList();
        return new ClusterTls(certificate, trusted, authorities);
    }

    /// <summary>A .pfx as the silos read it, refused in one line when it is missing or its password is wrong.</summary>
    public static X509Certificate2 ReadPkcs12(string file, string? password) =>
        Read(file, () => X509CertificateLoader.LoadPkcs12FromFile(file, password));

    private static X509Certificate2 ReadAuthority(string file)
    {
        var authority = Read(file, () => X509CertificateLoader.LoadCertificateFromFile(file));
        return ClusterCertificates.IsAuthority(authority) ? authority
            : throw new ArgumentException($"--tls-ca {file} is not a cluster authority's certificate (`olm cert ca` writes one)");
    }

    private static X509Certificate2 Read(string file, Func<X509Certificate2> load)
    {
        if (!File.Exists(file)) throw new ArgumentException($"TLS certificate file {file} does not exist");
        try { return load(); }
        catch (CryptographicException e) { throw new ArgumentException($"cannot read TLS certificate {file}: {e.Message.Split('\n')[0].Trim()}"); }
    }

    public static string Describe(X509Certificate2 c) => $"{c.Subject} (thumbprint {c.Thumbprint[..16]}…)";

    public void ApplyTo(ISiloBuilder silo) =>
        silo.Configure<SiloConnectionOptions>(c =>
        {
            c.ConfigureSiloInboundConnection(b => Serve(b, "a silo or client"));
            c.ConfigureGatewayInboundConnection(b => Serve(b, "a client"));
            c.ConfigureSiloOutboundConnection(b => b.UseClientTls(Options(b, "a silo", ServerAuth)));
        });

    public void ApplyTo(IClientBuilder client) =>
        client.Configure<ClientConnectionOptions>(c => c.ConfigureConnection(b => b.UseClientTls(Options(b, "the gateway", ServerAuth))));

    /// <summary>
    /// The server side, behind a step that logs a connection whose handshake never completed (no TLS, no certificate, a
    /// refused one): Orleans reports those only at debug level, and an operator should see who knocked.
    /// </summary>
    private void Serve(IConnectionBuilder connection, string peer)
    {
        var log = Logger(connection);
        connection.Use(next => async context =>
        {
            var refusal = Handshake.Value = new StrongBox<string?>();
            await next(context);
            if (log is null || context.Features.Get<ITlsHandshakeFeature>() is not { Protocol: System.Security.Authentication.SslProtocols.None }) return;
            LogRefused(log, $"{context.RemoteEndPoint}: " + (refusal.Value ?? "no TLS handshake with a certificate (no TLS, or no certificate shown)"));
        });
        connection.UseServerTls(Options(connection, peer, ClientAuth));
    }

    private TlsOptions Options(IConnectionBuilder connection, string peer, Oid usage)
    {
        var log = Logger(connection);
        return new TlsOptions
        {
            LocalCertificate = Certificate,
            RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
            RemoteCertificateValidation = (remote, _, _) =>
            {
                if (Accepts(remote, usage)) return true;
                LastRefusal = $"TLS: {peer} showed certificate {Describe(remote)}, which is not one this node accepts (its --tls-cert, --tls-trust or --tls-ca)";
                if (usage == ClientAuth && Handshake.Value is { } serving) serving.Value = LastRefusal;
                else if (log is not null) LogRefused(log, LastRefusal);
                return false;
            },
        };
    }

    /// <summary>Pinned, or issued by a trusted authority, in date, for this use, and not an authority itself.</summary>
    public bool Accepts(X509Certificate2 remote, Oid usage)
    {
        if (_pinned.Contains(remote.Thumbprint)) return true;
        if (_authorities.Count == 0 || ClusterCertificates.IsAuthority(remote)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(usage);
        return chain.Build(remote);
    }

    private static ILogger? Logger(IConnectionBuilder connection) =>
        connection.ApplicationServices.GetService<ILoggerFactory>()?.CreateLogger<ClusterTls>();

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused a connection: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
