using OrleansLlm.Tests.Client;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Memory;

/// <summary>The console's weight options: each bad one a single line on stderr and exit code 2; good ones deploy and say so.</summary>
public class MemoryConsoleTests
{
    [Theory]
    [InlineData("--memory-window 1", "--memory-window must be at least 2 half-layer blocks")]
    [InlineData("--quantize int4", "unknown quantization 'int4' (use none, int8 or int8-static)")]
    [InlineData("--quantize int8 --int8-threshold 0", "--int8-threshold must be above 0")]
    [InlineData("--quantize int8 --int8-threshold -1", "--int8-threshold must be above 0")]
    [InlineData("--memory-gb 0.0003", "and no weight window fits")]
    public async Task BadWeightOptionsAreOneLine(string options, string message)
    {
        var args = new[] { "generate", "--model", Fixture.DirOf("llama-tiny"), "--prompt-ids", "1,2,3", "--max-tokens", "2" }
            .Concat(options.Split(' ')).ToArray();
        await OlmProcess.AssertRefusedInOneLine(message, args);
    }

    [Fact]
    public async Task DeployShowsInt8WindowsAndShadows()
    {
        var (code, stdout, stderr) = await OlmProcess.Run("deploy", "--model", DemoModelTests.Dir, "--shadow-outliers");
        Assert.True(code == 0, stderr);
        Assert.Contains("int8 static (threshold 6, shadow outliers): ready", stdout);
        Assert.Matches("int8 static, shadows on [0-9]+ of 20 linears", stdout);
        (code, stdout, stderr) = await OlmProcess.Run("deploy", "--model", DemoModelTests.Dir, "--memory-window", "4", "--quantize", "int8");
        Assert.True(code == 0, stderr);
        Assert.Contains("int8, window 4/10 blocks", stdout);
    }
}
