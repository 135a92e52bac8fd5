using OrleansLlm.Grains.Interfaces.Connection;
using System.Security.Cryptography.X509Certificates;
using OrleansLlm.Grains.Hosting;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>The development certificate: what TLS between silos needs of it, read back as the silos read it.</summary>
public sealed class DevCertificateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-cert-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ItServesAndConnectsHasItsKeyAndLoadsWithItsPassword()
    {
        var (pfx, crt) = DevCertificate.Create(Path.Combine(_dir, "dev"), "olm-test", "secret");
        var tls = ClusterTls.Load(pfx, "secret", [crt]);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal("CN=olm-test", tls.Certificate.Subject);
        var usages = tls.Certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages
            .Cast<System.Security.Cryptography.Oid>().Select(o => o.Value).ToHashSet();
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], usages.Order());
        Assert.Equal(tls.Certificate.Thumbprint, X509CertificateLoader.LoadCertificateFromFile(crt).Thumbprint);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pfx));
    }

    [Fact]
    public void AWrongPasswordOrAPublicPartAloneIsRefusedInOneLine()
    {
        var (pfx, crt) = DevCertificate.Create(Path.Combine(_dir, "dev"), "olm-test", "secret");
        Assert.StartsWith("cannot read TLS certificate", Assert.Throws<ArgumentException>(() => ClusterTls.Load(pfx, "wrong", [])).Message);
        Assert.DoesNotContain('\n', Assert.ThrowsAny<ArgumentException>(() => ClusterTls.Load(crt, null, [])).Message);
    }
}
