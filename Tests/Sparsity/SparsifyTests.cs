using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sparsity;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Tests.Engine;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Sparsity;

/// <summary>
/// olm sparsify's engine on the demo model: the trained predictors recall more of each token's top half than a random
/// half does on held-out text, and at 50% sparsity the learned and threshold choices keep the demo model's perplexity
/// on a story it never saw below the random control's; a file of another model or shape is refused in one line.
/// </summary>
public class SparsifyTests(SparsifiedModel model) : IClassFixture<SparsifiedModel>
{
    /// <summary>exp(mean −log p) over the text as a scored sequence: every row sparse, as decoding it token by token would be.</summary>
    public static double Perplexity(ShardModel m, int[] ids) => Memory.PagedRun.Perplexity(m, ids, BatchOutput.Score);

    [Fact]
    public void PredictorsRecallMoreThanARandomChoice()
    {
        Assert.Equal(5, model.Header.Layers);
        Assert.True(File.Exists(Path.Combine(model.Dir, SparsityFile.TensorsName)));
        Assert.Contains("layer 4/5: held-out recall at 50% sparsity", model.Log);
        Assert.InRange(model.Header.MlpRecall.Average(), 0.6, 1.0);   // a random half recalls 0.5
        Assert.InRange(model.Header.HeadRecall.Average(), 0.55, 1.0);
        foreach (var t in model.Header.MlpThresholds) Assert.True(t.Zip(t.Skip(1)).All(p => p.First <= p.Second), "thresholds rise with sparsity");
    }

    [Fact]
    public void LearnedAndThresholdChoicesBeatTheRandomControl()
    {
        var ids = HfTokenizer.Load(model.Dir).Encode(File.ReadAllText(SparsifiedModel.EvalStory));
        double At(SparsityMode mode)
        {
            using var m = SparseDecodeTests.Load(model.Dir, new SparsityOptions { Sparsity = 0.5, Mode = mode, ModelDir = model.Dir });
            return Perplexity(m, ids);
        }
        using var dense = SparseDecodeTests.Load(model.Dir, null);
        var baseline = Perplexity(dense, ids);
        var (learned, threshold, random) = (At(SparsityMode.Learned), At(SparsityMode.Threshold), At(SparsityMode.Random));
        Assert.InRange(baseline, 2, 10);
        Assert.True(learned < random && threshold < random, $"dense {baseline}, learned {learned}, threshold {threshold}, random {random}");
        Assert.True(learned > baseline * 0.99, $"dense {baseline}, learned {learned}");
    }

    [Fact]
    public void ARecallTargetTakesTheSparsestLevelThatKeepsIt()
    {
        var h = model.Header;
        var half = Array.IndexOf(h.Levels, 0.5);
        for (var l = 0; l < h.Layers; l++)
        {
            Assert.Equal(h.Levels.Length, h.MlpRecallByLevel[l].Length);
            Assert.Equal(h.MlpRecall[l], h.MlpRecallByLevel[l][half], 6);  // the printed recall is the 50% level's
            Assert.True(h.MlpRecallByLevel[l][0] > h.MlpRecallByLevel[l][^1] && h.HeadRecallByLevel[l][0] > h.HeadRecallByLevel[l][^1],
                "predictors recall more of a smaller share");
        }
        double Worst(int level) => Enumerable.Range(0, h.Layers).Min(l => Math.Min(h.MlpRecallByLevel[l][level], h.HeadRecallByLevel[l][level]));
        var target = Worst(half);
        var s = h.SparsityFor(target, model.Dir);
        var at = Array.IndexOf(h.Levels, s);
        Assert.InRange(s, 0.5, 0.95);
        Assert.True(Worst(at) >= target);
        Assert.All(Enumerable.Range(at + 1, h.Levels.Length - at - 1), i => Assert.True(Worst(i) < target));
        var e = Assert.Throws<ArgumentException>(() => h.SparsityFor(1.0 + 1e-9, model.Dir));
        Assert.Contains("no sparsity keeps a held-out recall", e.Message);
        // A shard given the target decodes as one given the sparsity it stands for.
        using var byRecall = SparseDecodeTests.Load(model.Dir, new SparsityOptions { Sparsity = 0, Recall = target, ModelDir = model.Dir });
        using var byShare = SparseDecodeTests.Load(model.Dir, new SparsityOptions { Sparsity = s, ModelDir = model.Dir });
        Assert.Equal(s, byRecall.SparseShare);
        int[] prompt = [1, 403, 407, 261, 379];
        Assert.Equal(Memory.PagedRun.Greedy(byShare, prompt, 8).Ids, Memory.PagedRun.Greedy(byRecall, prompt, 8).Ids);
    }

    [Fact]
    public async Task TheConsoleTakesARecallTarget()
    {
        var h = model.Header;
        var target = Enumerable.Range(0, h.Layers).Min(l => Math.Min(h.MlpRecallByLevel[l][9], h.HeadRecallByLevel[l][9]));  // 50%
        var share = h.SparsityFor(target, model.Dir);
        async Task<string> Ids(params string[] how)
        {
            var (code, stdout, stderr) = await Client.OlmProcess.Run(["generate", "--model", model.Dir, "--prompt", "Once upon a time",
                "--max-tokens", "16", "--json", .. how]);
            Assert.True(code == 0, stderr);
            return Client.OlmProcess.LastJson(stdout).GetProperty("ids").ToString();
        }
        Assert.Equal(await Ids("--sparsity", share.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            await Ids("--sparsity-recall", target.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void AFileOfAnotherModelOrShapeIsRefusedInOneLine()
    {
        var config = ModelConfig.Load(model.Dir);
        var mine = ModelFingerprint.Of(model.Dir, config);
        var other = Assert.Throws<ArgumentException>(() => SparsityFile.Check(model.Header with { Model = "0123456789abcdef" }, config, mine, "sparsity.json"));
        Assert.Contains("was made for another model", other.Message);
        var tiny = Path.Combine(Path.GetTempPath(), "olm-sparsify-tiny-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(tiny);
        try
        {
            foreach (var file in Directory.GetFiles(Fixture.DirOf("llama-tiny"))) File.Copy(file, Path.Combine(tiny, Path.GetFileName(file)));
            foreach (var name in new[] { SparsityFile.JsonName, SparsityFile.TensorsName })
                File.Copy(Path.Combine(model.Dir, name), Path.Combine(tiny, name));
            var e = Assert.Throws<ArgumentException>(() => SparseDecodeTests.Load(tiny, new SparsityOptions { Sparsity = 0.5, ModelDir = tiny }));
            Assert.Contains("was made for another shape", e.Message);
            Assert.DoesNotContain("\n", e.Message);
        }
        finally
        {
            Directory.Delete(tiny, recursive: true);
        }
    }
}
