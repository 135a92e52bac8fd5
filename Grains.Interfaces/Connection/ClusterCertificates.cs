using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// The certificates a cluster's TLS runs on, as <c>olm cert</c> makes them: a self-signed certificate that every node
/// shares, or a cluster authority (CA) that issues one certificate per silo or client. A node's certificate is RSA-2048
/// with its private key, usable both to serve and to connect (a silo is both). Each is written as NAME.pfx (certificate
/// and private key, readable by its owner only) and NAME.crt (the public part, PEM).
/// </summary>
public static class ClusterCertificates
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "serverAuth");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "clientAuth");

    /// <summary>One certificate for the whole cluster: every silo and client is given the same .pfx.</summary>
    public static (string Pfx, string Crt) CreateSelfSigned(string pathWithoutExtension, string subjectName, string? password, int days = 365)
    {
        using var key = RSA.Create(2048);
        var request = NodeRequest(subjectName, key);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(days));
        return Write(certificate, pathWithoutExtension, password);
    }

    /// <summary>
    /// A cluster authority: it signs nodes' certificates (<see cref="Issue"/>) and nothing else. Silos and clients trust
    /// its public part (<c>--tls-ca</c>); its .pfx belongs offline with whoever admits new nodes.
    /// </summary>
    public static (string Pfx, string Crt) CreateAuthority(string pathWithoutExtension, string subjectName, string? password, int days = 3650)
    {
        using var key = RSA.Create(3072);
        var request = new CertificateRequest($"CN={subjectName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(days));
        return Write(certificate, pathWithoutExtension, password);
    }

    /// <summary>A node's certificate signed by the authority in <paramref name="authorityPfx"/>; it expires no later than the authority.</summary>
    public static (string Pfx, string Crt) Issue(string authorityPfx, string? authorityPassword, string pathWithoutExtension,
        string subjectName, string? password, int days = 365)
    {
        using var authority = ClusterTls.ReadPkcs12(authorityPfx, authorityPassword);
        if (!authority.HasPrivateKey || !IsAuthority(authority))
            throw new ArgumentException($"{authorityPfx} is not a cluster authority with its private key (make one with `olm cert ca`)");
        using var key = RSA.Create(2048);
        var request = NodeRequest(subjectName, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var notAfter = DateTimeOffset.UtcNow.AddDays(days);
        if (notAfter > authority.NotAfter) notAfter = authority.NotAfter;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), notAfter, serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        return Write(withKey, pathWithoutExtension, password);
    }

    /// <summary>Whether a certificate may sign others (basic constraints say it is an authority).</summary>
    public static bool IsAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    private static CertificateRequest NodeRequest(string subjectName, RSA key)
    {
        var request = new CertificateRequest($"CN={subjectName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(subjectName);
        request.CertificateExtensions.Add(san.Build());
        return request;
    }

    private static (string Pfx, string Crt) Write(X509Certificate2 certificate, string pathWithoutExtension, string? password)
    {
        var (pfx, crt) = (pathWithoutExtension + ".pfx", pathWithoutExtension + ".crt");
        var directory = Path.GetDirectoryName(Path.GetFullPath(pfx))!;
        if (!Directory.Exists(directory)) throw new ArgumentException($"folder {directory} does not exist");
        // The private key is created unreadable to others, not narrowed after it was written.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(pfx, options)) stream.Write(certificate.Export(X509ContentType.Pkcs12, password));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(pfx, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(crt, certificate.ExportCertificatePem() + "\n");
        return (pfx, crt);
    }
}
