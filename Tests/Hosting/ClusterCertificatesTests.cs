using OrleansLlm.Grains.Interfaces.Connection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>
/// The certificates `olm cert` makes, read back as the silos read them: what mutual TLS needs of each, and which peers a
/// node given them accepts (its own, pinned ones, and those its cluster authority issued, nothing else).
/// </summary>
public sealed class ClusterCertificatesTests : IDisposable
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-cert-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string At(string name) => Path.Combine(_dir, name);

    [Fact]
    public void ASharedCertificateServesAndConnectsHasItsKeyAndLoadsWithItsPassword()
    {
        var (pfx, crt) = ClusterCertificates.CreateSelfSigned(At("dev"), "olm-test", "secret");
        var tls = ClusterTls.Load(pfx, "secret", [crt]);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal("CN=olm-test", tls.Certificate.Subject);
        var usages = tls.Certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages
            .Cast<Oid>().Select(o => o.Value).ToHashSet();
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], usages.Order());
        Assert.Equal(tls.Certificate.Thumbprint, X509CertificateLoader.LoadCertificateFromFile(crt).Thumbprint);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pfx));
    }

    [Fact]
    public void AWrongPasswordOrAPublicPartAloneIsRefusedInOneLine()
    {
        var (pfx, crt) = ClusterCertificates.CreateSelfSigned(At("dev"), "olm-test", "secret");
        Assert.StartsWith("cannot read TLS certificate", Assert.Throws<ArgumentException>(() => ClusterTls.Load(pfx, "wrong", [])).Message);
        Assert.DoesNotContain('\n', Assert.ThrowsAny<ArgumentException>(() => ClusterTls.Load(crt, null, [])).Message);
    }

    [Fact]
    public void ANodeAcceptsWhatItsAuthorityIssuedAndNothingElse()
    {
        var (caPfx, caCrt) = ClusterCertificates.CreateAuthority(At("ca"), "test-ca", null);
        var (otherCaPfx, _) = ClusterCertificates.CreateAuthority(At("other-ca"), "other-ca", null);
        var (silo, _) = ClusterCertificates.Issue(caPfx, null, At("silo"), "silo-a", null);
        var (client, _) = ClusterCertificates.Issue(caPfx, null, At("client"), "client", null);
        var (stranger, _) = ClusterCertificates.Issue(otherCaPfx, null, At("stranger"), "client", null);
        var (selfSigned, _) = ClusterCertificates.CreateSelfSigned(At("self"), "client", null);
        var node = ClusterTls.Load(silo, null, [], [caCrt]);
        Assert.True(node.Accepts(Public(client), ClientAuth));
        Assert.False(node.Accepts(Public(stranger), ClientAuth));
        Assert.False(node.Accepts(Public(selfSigned), ClientAuth));
        // The authority's own certificate is not a node's, though it chains to itself.
        Assert.False(node.Accepts(X509CertificateLoader.LoadCertificateFromFile(caCrt), ClientAuth));
        // Without --tls-ca, only the node's own certificate (or a pinned one) is accepted.
        Assert.False(ClusterTls.Load(silo, null, []).Accepts(Public(client), ClientAuth));
    }

    [Fact]
    public void AnIssuedCertificateExpiresNoLaterThanItsAuthorityAndNamesIt()
    {
        var (caPfx, _) = ClusterCertificates.CreateAuthority(At("ca"), "test-ca", null, days: 10);
        var (pfx, _) = ClusterCertificates.Issue(caPfx, null, At("node"), "node", "pw", days: 365);
        var node = ClusterTls.ReadPkcs12(pfx, "pw");
        Assert.Equal("CN=test-ca", node.Issuer);
        Assert.True(node.NotAfter <= X509CertificateLoader.LoadPkcs12FromFile(caPfx, null).NotAfter);
        Assert.False(ClusterCertificates.IsAuthority(node));
    }

    [Fact]
    public void AuthoritiesAndNodesAreNotMistakenForEachOther()
    {
        var (caPfx, caCrt) = ClusterCertificates.CreateAuthority(At("ca"), "test-ca", null);
        var (nodePfx, nodeCrt) = ClusterCertificates.CreateSelfSigned(At("node"), "node", null);
        Assert.Contains("is a cluster authority", Assert.Throws<ArgumentException>(() => ClusterTls.Load(caPfx, null, [])).Message);
        Assert.Contains("is not a cluster authority's certificate", Assert.Throws<ArgumentException>(() => ClusterTls.Load(nodePfx, null, [], [nodeCrt])).Message);
        Assert.Contains("is not a cluster authority", Assert.Throws<ArgumentException>(() => ClusterCertificates.Issue(nodePfx, null, At("x"), "x", null)).Message);
        Assert.NotNull(ClusterTls.Load(nodePfx, null, [], [caCrt]));
    }

    private static X509Certificate2 Public(string pfx) => X509CertificateLoader.LoadCertificate(ClusterTls.ReadPkcs12(pfx, null).RawData);
}
