using Microsoft.Extensions.Configuration;
using OrleansLlm.Silo.Http;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>The API's switches: several keys from a file, the limits and their defaults, and one-line refusals.</summary>
public sealed class FrontDoorSettingsTests : IDisposable
{
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"olm-keys-{Guid.NewGuid():N}.txt");

    private static FrontDoorSettings Load(params string[] args) => FrontDoorSettings.Load(args, new ConfigurationBuilder().Build());

    [Fact]
    public void AKeyFileHoldsSeveralKeysOneALineWithCommentsAndBlanksSkipped()
    {
        File.WriteAllText(_keyFile, "# team A\nkey-one\n\n  key-two  \n# old: key-three\n");
        var settings = Load("--api-key-file", _keyFile, "--api-key", "single");
        Assert.Equal(["single", "key-one", "key-two"], settings.ApiKeys);
    }

    [Fact]
    public void DefaultsAreOpenMetricsAndBoundedRequests()
    {
        var settings = Load("--http-port", "8000");
        Assert.Equal((8000, 32, 64, false, 30.0, 5.0), (settings.Port, settings.MaxBodyMb, settings.MaxConcurrentPerKey,
            settings.MetricsRequireKey, settings.HeadersTimeoutSeconds, settings.BodyTimeoutSeconds));
        Assert.Empty(settings.ApiKeys);
    }

    [Fact]
    public void FlagsDoNotSwallowTheSwitchAfterThem()
    {
        var settings = Load("--metrics-require-key", "--http-port", "8000", "--api-key", "k", "--max-body-mb", "4",
            "--max-concurrent-per-key", "0", "--headers-timeout", "2", "--body-timeout", "3");
        Assert.Equal((8000, true, 4, 0, 2.0, 3.0), (settings.Port, settings.MetricsRequireKey, settings.MaxBodyMb,
            settings.MaxConcurrentPerKey, settings.HeadersTimeoutSeconds, settings.BodyTimeoutSeconds));
    }

    [Theory]
    [InlineData("--max-body-mb must be 1 to 2047, got 0", "--max-body-mb", "0")]
    [InlineData("--max-concurrent-per-key must be 0 (no limit) or more, got -1", "--max-concurrent-per-key", "-1")]
    [InlineData("--body-timeout must be above 1 second, got 1", "--body-timeout", "1")]
    [InlineData("--metrics-require-key needs --api-key or --api-key-file", "--metrics-require-key")]
    [InlineData("--api-key: an API key must not hold spaces", "--api-key", "two words")]
    [InlineData("--http-host 0.0.0.0 opens the HTTP API to the network, which needs a key: give --api-key-file (or --api-key), or leave --http-host out to stay on localhost",
        "--http-port", "8000", "--http-host", "0.0.0.0")]
    [InlineData("--http-host must be localhost or an IP address of this machine, got 'example.com'", "--http-host", "example.com")]
    public void NonsenseIsRefusedInOneLine(string message, params string[] args) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => Load(args)).Message);

    [Fact]
    public void AnOpenHttpHostWithAKeyOrLoopbackWithoutOneIsAllowed()
    {
        Assert.False(Load("--http-port", "8000", "--http-host", "0.0.0.0", "--api-key", "k").OnLoopback);
        Assert.True(Load("--http-port", "8000", "--http-host", "127.0.0.1").OnLoopback);
    }

    [Fact]
    public void AKeyFileWithoutKeysIsRefused()
    {
        File.WriteAllText(_keyFile, "# nothing yet\n\n");
        Assert.Equal($"--api-key-file {_keyFile} holds no key (one a line; # starts a comment)",
            Assert.Throws<ArgumentException>(() => Load("--api-key-file", _keyFile)).Message);
    }

    public void Dispose() => File.Delete(_keyFile);
}
