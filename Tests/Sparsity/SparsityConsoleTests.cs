using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Client;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Sparsity;

/// <summary>The console's sparsity options: 0 is the dense deployment (the same greedy ids); bad settings are one line.</summary>
public class SparsityConsoleTests
{
    [Fact]
    public async Task SparsityZeroGivesTheDenseGreedyIds()
    {
        async Task<string> Ids(params string[] extra)
        {
            var (code, stdout, stderr) = await OlmProcess.Run(["generate", "--model", DemoModelTests.Dir, "--prompt", "Once upon a time",
                "--max-tokens", "24", "--json", .. extra]);
            Assert.True(code == 0, stderr);
            return OlmProcess.LastJson(stdout).GetProperty("ids").ToString();
        }
        Assert.Equal(await Ids(), await Ids("--sparsity", "0"));
        // And the engine gets no sparse layout at all: the dense path itself.
        Assert.Null(ModelSource.Options("shape:tiny", Grains.Compute.ModelSource.Config("shape:tiny"), "cpu", TorchSharp.torch.ScalarType.Float32,
            null, new SparsitySettings { Sparsity = 0 }).Sparsity);
    }

    [Fact]
    public async Task TensorParallelRanksGiveTheSparseIdsOfTheirStage()
    {
        async Task<string> Ids(string sparsity, params string[] extra)
        {
            var (code, stdout, stderr) = await OlmProcess.Run(["generate", "--model", Fixture.DirOf("llama-tiny"), "--prompt-ids",
                "1,103,107,261,79", "--max-tokens", "16", "--json", "--sparsity", sparsity, "--sparsity-mode", "fixed", .. extra]);
            Assert.True(code == 0, stderr);
            return OlmProcess.LastJson(stdout).GetProperty("ids").ToString();
        }
        var one = await Ids("0.5");
        Assert.Equal(one, await Ids("0.5", "--shards", "2", "--strategy", "tensor"));
        Assert.NotEqual(one, await Ids("0"));  // the same ids as dense would prove nothing
        // Pipeline stages of ranks: each stage's ranks as that stage alone (a stage's first layer chooses from its input).
        Assert.Equal(await Ids("0.5", "--shards", "2", "--strategy", "pipeline"), await Ids("0.5", "--shards", "4", "--strategy", "pipeline,tensor"));
    }

    [Theory]
    [InlineData("--sparsity 1", "--sparsity must be at least 0 and below 1")]
    [InlineData("--sparsity half", "--sparsity must be a share such as 0.5 or 50%")]
    [InlineData("--sparsity 0.5 --sparsity-mode magic", "unknown sparsity mode 'magic'")]
    [InlineData("--sparsity 0.5 --shards 2 --strategy sequence", "--sparsity does not combine with --strategy sequence")]
    [InlineData("--sparsity 0.5 --sparsity-mode random --shards 2 --strategy tensor", "--sparsity-mode random draws on each tensor-parallel rank apart")]
    [InlineData("--sparsity 50%", "no sparsity predictors in")]
    [InlineData("--sparsity 0.5 --sparsity-recall 0.9", "--sparsity and --sparsity-recall each set how sparse: give one")]
    [InlineData("--sparsity-recall 0.9 --sparsity-mode fixed", "--sparsity-recall measures learned predictors: not with --sparsity-mode fixed")]
    [InlineData("--sparsity-recall 2", "--sparsity-recall must be above 0 and at most 1")]
    [InlineData("--sparsity-recall 90", "--sparsity-recall must be above 0 and at most 1")]
    [InlineData("--sparsity-recall 0.9", "no sparsity predictors in")]
    public async Task BadSparsitySettingsAreOneLine(string options, string message)
    {
        var args = new[] { "generate", "--model", Fixture.DirOf("llama-tiny"), "--prompt-ids", "1,2,3", "--max-tokens", "2" }
            .Concat(options.Split(' ')).ToArray();
        await OlmProcess.AssertRefusedInOneLine(message, args);
    }
}
