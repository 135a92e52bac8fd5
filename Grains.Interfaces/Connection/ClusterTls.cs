using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// TLS on every silo-to-silo and client-to-gateway connection. Each side shows its certificate and accepts the other's
/// only when it is pinned: the same certificate as its own (one certificate for the cluster) or one of the trusted
/// certificate files. Chains and host names are not checked, so self-signed development certificates work, and a
/// certificate from any public authority is not enough to join.
/// </summary>
public sealed partial class ClusterTls
{
    private readonly HashSet<string> _accepted;

    private ClusterTls(X509Certificate2 certificate, IEnumerable<X509Certificate2> trusted)
    {
        Certificate = certificate;
        _accepted = trusted.Append(certificate).Select(c => c.Thumbprint).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>Why the last handshake of this process was refused on this side, if one was (for the client's message).</summary>
    public string? LastRefusal { get; private set; }

    /// <summary>Loads a PKCS#12 (.pfx) certificate with its private key and the public certificates (.crt, .pem, .pfx) to accept.</summary>
    public static ClusterTls Load(string certificateFile, string? password, IEnumerable<string> trustedFiles)
    {
        var certificate = Read(certificateFile, () => X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password));
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"TLS certificate {certificateFile} holds no private key (give the .pfx that `olm cert create` wrote)");
        var trusted = trustedFiles.Select(f => Read(f, () => Path.GetExtension(f).Equals(".pfx", StringComparison.OrdinalIgnoreCase)
            ? X509CertificateLoader.LoadPkcs12FromFile(f, password) : X509CertificateLoader.LoadCertificateFromFile(f)));
        return new ClusterTls(certificate, trusted.ToList());
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
            c.ConfigureSiloInboundConnection(b => b.UseServerTls(Options(b, "a silo or client")));
            c.ConfigureGatewayInboundConnection(b => b.UseServerTls(Options(b, "a client")));
            c.ConfigureSiloOutboundConnection(b => b.UseClientTls(Options(b, "a silo")));
        });

    public void ApplyTo(IClientBuilder client) =>
        client.Configure<ClientConnectionOptions>(c => c.ConfigureConnection(b => b.UseClientTls(Options(b, "the gateway"))));

    private TlsOptions Options(IConnectionBuilder connection, string peer)
    {
        var log = connection.ApplicationServices.GetService<ILoggerFactory>()?.CreateLogger<ClusterTls>();
        return new TlsOptions
        {
            LocalCertificate = Certificate,
            RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
            RemoteCertificateValidation = (remote, _, _) =>
            {
                if (_accepted.Contains(remote.Thumbprint)) return true;
                LastRefusal = $"TLS: {peer} showed certificate {Describe(remote)}, which is not one this node accepts (its --tls-cert or --tls-trust)";
                if (log is not null) LogRefused(log, LastRefusal);
                return false;
            },
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused a connection: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
