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
    public async Task HelpAndReadmeListEveryEnvironmentSwitch()
    {
        var (_, stdout, _) = await OlmProcess.Run("--help");
        var readme = File.ReadAllText(Path.Combine(Hosting.NetnsHosts.RepositoryRoot(), "README.md"));
        Assert.NotEmpty(OrleansLlm.Switches.OlmSwitches.All);
        foreach (var s in OrleansLlm.Switches.OlmSwitches.All)
        {
            Assert.Contains($"{s.Name}  ", stdout);
            Assert.Contains($"| `{s.Name}` | {s.Meaning} |", readme);
        }
    }

    [Fact]
    public void JsonIsPlainUtf8()
    {
        Assert.Equal("""{"text":"a+b <c> & 'd' é","prompt_tokens":1}""", JsonLine.Format(new { text = "a+b <c> & 'd' é", prompt_tokens = 1 }));
    }

    [Fact]
    public void JsonKeepsCharactersBeyondTheBasicPlaneAndEscapesOnlyWhatJsonRequires()
    {
        var text = "Lily 😀 said \"hi\"\\\n\t\u0001.";
        var json = JsonLine.Format(new { text });
        Assert.Equal("{\"text\":\"Lily 😀 said \\\"hi\\\"\\\\\\n\\t\\u0001.\"}", json);
        Assert.Equal(text, System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("text").GetString());
    }

    /// <summary>olm talks to a cluster through grain interfaces only; silos in its process come from the embedded assembly.</summary>
    [Fact]
    public void OlmAndTheGrainInterfacesNeedNoLibtorch()
    {
        var olm = typeof(JsonLine).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        foreach (var heavy in new[] { "TorchSharp", "OrleansLlm.Engine", "OrleansLlm.Grains" }) Assert.DoesNotContain(heavy, olm);
        Assert.Contains("OrleansLlm.Client.Embedded", olm);
        Assert.DoesNotContain("TorchSharp", typeof(OrleansLlm.Grains.Interfaces.OlmException).Assembly.GetReferencedAssemblies().Select(a => a.Name));
    }
}
