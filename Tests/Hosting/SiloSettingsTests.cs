using OrleansLlm.Silo;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>The silo's settings: appsettings.json, then OLM_ variables, then the command line; bad values refused at start.</summary>
public sealed class SiloSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-settings-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private SiloSettings Load(string? appsettings, params string[] args)
    {
        if (appsettings is not null) File.WriteAllText(Path.Combine(_dir, "appsettings.json"), appsettings);
        return SiloSettings.Load(args, _dir).Settings;
    }

    [Fact]
    public void DefaultsServeOneCpuSiloOnTheWellKnownPorts()
    {
        var s = Load(null);
        Assert.Equal(("cpu", 11111, 30000, "olm"), (s.Devices, s.SiloPort, s.GatewayPort, s.ClusterId));
        Assert.Null(s.PrimaryEndpoint());
        Assert.Equal(["cpu"], s.ToOptions().Devices);
        Assert.Equal(TimeSpan.FromMinutes(2), s.ToOptions().DrainTimeout);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("90000")]
    public void ADrainTimeoutOutOfRangeIsRefused(string seconds)
    {
        var e = Assert.Throws<ArgumentException>(() => Load(null, "--drain-timeout", seconds));
        Assert.StartsWith("--drain-timeout must be 0 to 86400 seconds", e.Message);
    }

    [Fact]
    public void TheCommandLineOverridesTheFileAndEveryOptionArrives()
    {
        var s = Load("""{ "Olm": { "Devices": "cpu", "SiloPort": 2000, "MemoryGiB": 4, "ClusterId": "from-file" } }""",
            "--devices", "cpu,cuda:1", "--memory-gb", "2.5", "--threads", "3", "--speed", "1.5", "--silo-port", "12000",
            "--gateway-port", "31000", "--primary", "10.0.0.1:11111", "--cluster-id", "c1", "--model-dir", "/models",
            "--drain-timeout", "30");
        Assert.Equal(12000, s.SiloPort);
        Assert.Equal(31000, s.GatewayPort);
        Assert.Equal("c1", s.ClusterId);
        Assert.Equal("10.0.0.1:11111", s.PrimaryEndpoint()!.ToString());
        var o = s.ToOptions();
        Assert.Equal(["cpu", "cuda:1"], o.Devices);
        Assert.Equal((2.5, 3, 1.5, "/models"), (o.MemoryGiB, o.Threads, o.RelativeSpeed, o.ModelDirectory));
        Assert.Equal(TimeSpan.FromSeconds(30), o.DrainTimeout);
        Assert.Equal("/models/llama", o.ResolveModel("llama"));
        Assert.Equal("shape:tiny", o.ResolveModel("shape:tiny"));
    }

    [Fact]
    public void FileValuesStandWhereTheCommandLineIsSilent()
    {
        var s = Load("""{ "Olm": { "SiloPort": 2000, "MemoryGiB": 4, "ClusterId": "from-file" } }""", "--threads", "2");
        Assert.Equal((2000, 4.0, "from-file", 2), (s.SiloPort, s.MemoryGiB, s.ClusterId, s.Threads));
    }

    [Fact]
    public void NetworkDefaultsListenOnLoopbackWithSeedsAndTunedDetection()
    {
        var s = Load(null);
        var endpoints = s.Network.Endpoints(s.SiloPort, s.GatewayPort, s.PrimaryEndpoint());
        Assert.Equal(System.Net.IPAddress.Loopback, endpoints.Listen);
        Assert.Equal(System.Net.IPAddress.Loopback, endpoints.AdvertisedAddress());
        Assert.False(s.Network.Open);
        Assert.True(s.Network.Access(s.ClusterId).Seeded);
        Assert.Equal(Grains.Hosting.FailureDetection.Default, s.Network.Detection());
    }

    [Fact]
    public void NetworkOptionsArriveFromTheCommandLine()
    {
        var s = Load("""{ "Olm": { "Redis": "file:1" } }""", "--listen", "10.0.0.5", "--advertise", "10.0.0.5", "--redis", "10.0.0.2:6379",
            "--tls-cert", "node.pfx", "--tls-ca", "ca.crt", "--probe-timeout", "1.5", "--missed-probes", "2", "--death-votes", "1");
        var endpoints = s.Network.Endpoints(1, 2, null);
        Assert.Equal(("10.0.0.5", "10.0.0.5"), (endpoints.Listen.ToString(), endpoints.AdvertisedAddress().ToString()));
        Assert.Equal("10.0.0.2:6379", s.Network.Redis);
        Assert.True(s.Network.Open);
        Assert.Equal(("node.pfx", "ca.crt"), (s.Network.TlsCertificate, s.Network.TlsCa));
        Assert.Equal(new Grains.Hosting.FailureDetection(TimeSpan.FromSeconds(1.5), 2, 1), s.Network.Detection());
    }

    [Theory]
    [InlineData("--listen", "everywhere", "--listen must be an IP address")]
    [InlineData("--advertise", "my-host", "--advertise must be an IP address")]
    [InlineData("--probe-timeout", "0", "--probe-timeout must be between")]
    [InlineData("--missed-probes", "0", "--missed-probes must be 1 to 20")]
    [InlineData("--death-votes", "0", "--death-votes must be 1 to 10")]
    [InlineData("--tls-trust", "a.crt", "--tls-trust needs --tls-cert")]
    [InlineData("--tls-ca", "ca.crt", "--tls-ca needs --tls-cert")]
    [InlineData("--listen", "0.0.0.0", "--listen 0.0.0.0 opens the silo and gateway ports to the network, which needs mutual TLS: give --tls-cert")]
    [InlineData("--listen", "10.0.0.5", "--listen 10.0.0.5 opens")]
    public void BadNetworkValuesAreRefusedWithTheOptionNamed(string option, string value, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Load(null, option, value));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ARedisPasswordNeverShowsWhereRedisIsNamed() =>
        Assert.Equal("10.0.0.2:6379", Grains.Interfaces.Connection.RedisConnection.Describe("10.0.0.2:6379,password=s3cret,ssl=false"));

    [Fact]
    public void RedisAndAFirstSiloTogetherAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Load(null, "--redis", "10.0.0.2:6379", "--primary", "10.0.0.1:11111"));
        Assert.Contains("not both", e.Message);
    }

    [Fact]
    public void AMissingCertificateFileIsNamed()
    {
        var s = Load(null, "--tls-cert", Path.Combine(_dir, "none.pfx"));
        var e = Assert.Throws<ArgumentException>(() => s.Network.Access("c"));
        Assert.Contains("none.pfx does not exist", e.Message);
    }

    [Theory]
    [InlineData("--primary", "nowhere", "--primary must be HOST:PORT")]
    [InlineData("--devices", "tpu", "unknown device 'tpu'")]
    [InlineData("--memory-gb", "-1", "--memory-gb must be 0")]
    [InlineData("--speed", "0", "--speed must be above 0")]
    [InlineData("--silo-port", "70000", "--silo-port must be a port number")]
    public void BadValuesAreRefusedWithTheOptionNamed(string option, string value, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Load(null, option, value));
        Assert.Contains(message, e.Message);
    }
}
