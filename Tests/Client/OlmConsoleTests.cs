using System.Text.Json;
using OrleansLlm.Engine;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Client;

/// <summary>The `olm` contract scripts rely on, run as a real process with its embedded cluster.</summary>
public class OlmConsoleTests
{
    private static Task<(int Code, string Out, string Err)> Olm(params string[] args) => OlmProcess.Run(args);

    private static JsonElement LastJson(string stdout) => OlmProcess.LastJson(stdout);

    [Fact]
    public async Task GenerateJsonGivesTheEnginesGreedyIds()
    {
        var f = new Fixture("llama-tiny");
        var (code, stdout, stderr) = await Olm("generate", "--model", f.Dir, "--prompt-ids", "5,6,7", "--max-tokens", "6",
            "--silos", "2", "--json");
        Assert.True(code == 0, stderr);
        var json = LastJson(stdout);
        using var local = LocalModel.Load(f.Dir);
        var want = new List<int>();
        await foreach (var t in local.GenerateAsync([5, 6, 7], new GenerationOptions { MaxNewTokens = 6 })) want.Add(t.Id);
        Assert.Equal(want, json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(3, json.GetProperty("prompt_tokens").GetInt32());
        foreach (var key in new[] { "text", "ttft_ms", "decode_tokens_per_s" }) Assert.True(json.TryGetProperty(key, out _), key);
    }

    [Fact]
    public async Task TokenizeAndPerplexityFollowTheContract()
    {
        var f = new Fixture("llama-tiny");
        var (code, stdout, _) = await Olm("tokenize", "--model", f.Dir, "--text", "Hello world", "--json");
        Assert.Equal(0, code);
        Assert.Equal([42, 71, 78, 78, 81, 315, 271, 78, 70], LastJson(stdout).GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        (code, stdout, _) = await Olm("perplexity", "--model", f.Dir, "--ids", string.Join(",", f.InputIds), "--json");
        Assert.Equal(0, code);
        var want = JsonDocument.Parse(File.ReadAllText(Path.Combine(f.Dir, "expected.json"))).RootElement.GetProperty("perplexity").GetDouble();
        Assert.InRange(Math.Abs(LastJson(stdout).GetProperty("perplexity").GetDouble() - want) / want, 0, 1e-6);
    }

    [Theory]
    [InlineData("--prompt-ids", "1,x", "'x' at position 1 is not a token id")]
    [InlineData("--prompt-ids", "1,999", "token id 999 at position 1 is outside the vocabulary")]
    public async Task BadInputIsOneLineOnStderrAndANonZeroExit(string option, string value, string message)
    {
        await OlmProcess.AssertRefusedInOneLine(message, "generate", "--model", Fixture.DirOf("llama-tiny"), option, value);
    }
}
