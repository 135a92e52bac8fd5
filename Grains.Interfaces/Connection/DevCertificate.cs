using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// A self-signed development certificate for a cluster: RSA-2048 with its private key, usable both to serve and to
/// connect (a silo is both), written as NAME.pfx (give it to every silo and client) and NAME.crt (public part only).
/// </summary>
public static class DevCertificate
{
    public static (string Pfx, string Crt) Create(string pathWithoutExtension, string subjectName, string? password, int days = 365)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subjectName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "serverAuth"), new Oid("1.3.6.1.5.5.7.3.2", "clientAuth")], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(subjectName);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(days));
        var (pfx, crt) = (pathWithoutExtension + ".pfx", pathWithoutExtension + ".crt");
        var directory = Path.GetDirectoryName(Path.GetFullPath(pfx))!;
        if (!Directory.Exists(directory)) throw new ArgumentException($"folder {directory} does not exist");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pkcs12, password));
        File.WriteAllText(crt, certificate.ExportCertificatePem() + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(pfx, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (pfx, crt);
    }
}
