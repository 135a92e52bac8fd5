using OrleansLlm.Client.Output;
using Xunit;

namespace OrleansLlm.Tests.Client;

/// <summary>What a person (or a script) sees of olm without a cluster: its name and its JSON.</summary>
public class ConsoleContractTests
{
    [Fact]
    public async Task HelpNamesTheProgramOlm()
    {
        var (code, stdout, _) = await OlmProcess.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("olm [command] [options]", stdout);
        Assert.DoesNotContain("Client", stdout);
        Assert.Contains("undeploy", stdout);
        Assert.Contains("chat", stdout);
    }

    [Fact]
    public void JsonIsPlainUtf8()
    {
        Assert.Equal("""{"text":"a+b <c> & 'd' é","prompt_tokens":1}""", JsonLine.Format(new { text = "a+b <c> & 'd' é", prompt_tokens = 1 }));
    }
}
