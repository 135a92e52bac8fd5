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
    public static double Perplexity(ShardModel m, int[] ids)
    {
        using var scope = NewDisposeScope();
        const int blockSize = 16;
        var blocks = Enumerable.Range(1, ids.Length / blockSize + 1).ToArray();
        using var pool = m.NewPool(blocks.Length + 1, blockSize);
        var layout = new BatchLayout([new BatchEntry(0, ids.Length, blocks, BatchOutput.Score)], blockSize);
        using var batch = BatchTensors.Build(layout, m.Device);
        var hidden = m.ForwardBatch(m.Embed(tensor(ids.Select(i => (long)i).ToArray())), batch, pool);
        var logp = m.Logits(hidden.narrow(0, 0, ids.Length - 1)).to(ScalarType.Float64).log_softmax(1);
        var targets = tensor(ids.Skip(1).Select(i => (long)i).ToArray()).unsqueeze(1);
        return Math.Exp(-logp.gather(1, targets).mean().item<double>());
    }

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
