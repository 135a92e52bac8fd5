using Xunit;

namespace OrleansLlm.Tests.Client;

/// <summary>
/// `olm bench --processes K` starts its silos as processes of olm itself, which must work however olm was started: as
/// the built executable (the README's everyday way; .NET still names the .dll as its first argument there) and through
/// `dotnet Client.dll` (as `dotnet run` does).
/// </summary>
public sealed class BenchProcessesTests
{
    private static readonly string[] Bench =
        ["bench", "--model", "shape:tiny", "--processes", "1", "--threads", "1", "--tokens", "3", "--warmup", "0", "--repeats", "1", "--json"];

    [Fact]
    public async Task SiloProcessesStartFromTheBuiltExecutable()
    {
        var (code, stdout, stderr) = await OlmProcess.RunExecutable(Bench);
        Assert.True(code == 0, stderr);
        Assert.True(OlmProcess.LastJson(stdout).ValueKind == System.Text.Json.JsonValueKind.Object, stdout);
    }

    [Fact]
    public async Task SiloProcessesStartThroughDotnet()
    {
        var (code, stdout, stderr) = await OlmProcess.Run(Bench);
        Assert.True(code == 0, stderr);
        Assert.True(OlmProcess.LastJson(stdout).ValueKind == System.Text.Json.JsonValueKind.Object, stdout);
    }
}
