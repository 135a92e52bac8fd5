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
    }

    [Fact]
    public void TheCommandLineOverridesTheFileAndEveryOptionArrives()
    {
        var s = Load("""{ "Olm": { "Devices": "cpu", "SiloPort": 2000, "MemoryGiB": 4, "ClusterId": "from-file" } }""",
            "--devices", "cpu,cuda:1", "--memory-gb", "2.5", "--threads", "3", "--speed", "1.5", "--silo-port", "12000",
            "--gateway-port", "31000", "--primary", "10.0.0.1:11111", "--cluster-id", "c1", "--model-dir", "/models");
        Assert.Equal(12000, s.SiloPort);
        Assert.Equal(31000, s.GatewayPort);
        Assert.Equal("c1", s.ClusterId);
        Assert.Equal("10.0.0.1:11111", s.PrimaryEndpoint()!.ToString());
        var o = s.ToOptions();
        Assert.Equal(["cpu", "cuda:1"], o.Devices);
        Assert.Equal((2.5, 3, 1.5, "/models"), (o.MemoryGiB, o.Threads, o.RelativeSpeed, o.ModelDirectory));
        Assert.Equal("/models/llama", o.ResolveModel("llama"));
        Assert.Equal("shape:tiny", o.ResolveModel("shape:tiny"));
    }

    [Fact]
    public void FileValuesStandWhereTheCommandLineIsSilent()
    {
        var s = Load("""{ "Olm": { "SiloPort": 2000, "MemoryGiB": 4, "ClusterId": "from-file" } }""", "--threads", "2");
        Assert.Equal((2000, 4.0, "from-file", 2), (s.SiloPort, s.MemoryGiB, s.ClusterId, s.Threads));
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
