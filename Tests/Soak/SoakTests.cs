using OrleansLlm.Soak;
using OrleansLlm.Tests.Hosting;
using Xunit;

namespace OrleansLlm.Tests.Soak;

/// <summary>
/// The soak (bench/soak) in short, as CI runs it: two silo processes with mutual TLS and an API key under mixed
/// streaming and chat load with client mistakes and abandoned streams, one silo killed -9 and restarted. Every answer
/// equals the undisturbed run's, every mistake gets its 4xx, nothing fails outside the kill, and no KV block is left.
/// </summary>
public sealed class SoakTests
{
    [SkippableFact]
    public async Task AShortSoakServesThroughAKilledSiloAndLeavesNothingBehind()
    {
        Skip.If(RedisServer.Binary is null, RedisServer.MissingReason);
        var options = new SoakOptions
        {
            Duration = TimeSpan.FromSeconds(80), Clients = 4, SiloDll = Path.Combine(AppContext.BaseDirectory, "Silo.dll"),
            Model = Path.Combine(AppContext.BaseDirectory, "models", "stories260K"),
        };
        var log = new StringWriter();
        var report = await new SoakRun(options, log).RunAsync(CancellationToken.None);
        Assert.True(report.Passed, string.Join("; ", report.Failures()) + "\n" + report.Json() + "\n" + log);
    }
}
