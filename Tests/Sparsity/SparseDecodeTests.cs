using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sparsity;
using OrleansLlm.Tests.Engine;
using OrleansLlm.Tests.Memory;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Sparsity;

/// <summary>
/// Sparse decode against the dense path and a float64 reference: with every head and neuron kept it is the dense model;
/// with half of them (a fixed choice, and thresholds) each decode step's logits match float64 math that zeroes the
/// dropped heads' outputs and neurons' activations; prefill stays dense.
/// </summary>
public class SparseDecodeTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 379, 302, 267];

    /// <summary>The model in dir (the slice given, or whole) with its sparsity.</summary>
    internal static ShardModel Load(string dir, SparsityOptions? sparsity, ModelSlice? slice = null)
    {
        var config = ModelConfig.Load(dir);
        using var checkpoint = Checkpoint.Open(dir);
        return ShardModel.Load(config, slice ?? ModelSlice.Full(config), new ShardOptions { Sparsity = sparsity }, checkpoint);
    }

    public static TheoryData<string> Models() => new() { DemoModelTests.Dir, Fixture.DirOf("llama-tiny"), Fixture.DirOf("qwen2-tiny") };

    [Theory]
    [MemberData(nameof(Models))]
    public void KeepingEverythingIsTheDenseModel(string dir)
    {
        var prompt = Prompt.Select(i => i % ModelConfig.Load(dir).VocabSize).ToArray();
        using var dense = Load(dir, null);
        using var sparse = Load(dir, new SparsityOptions { Sparsity = 1e-9, Mode = SparsityMode.Fixed });
        var (want, wantLogits) = PagedRun.Greedy(dense, prompt, 8);
        var (got, gotLogits) = PagedRun.Greedy(sparse, prompt, 8);
        Assert.Equal(want, got);
        for (var i = 0; i < want.Length; i++) Assert.InRange(Fixture.MaxAbsDiff(wantLogits[i], gotLogits[i]), 0, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void HalfOfAFixedChoiceMatchesFloat64(string dir)
    {
        var c = ModelConfig.Load(dir);
        var prompt = Prompt.Select(i => i % c.VocabSize).ToArray();
        var options = new SparsityOptions { Sparsity = 0.5, Mode = SparsityMode.Fixed };
        using var sparse = Load(dir, options);
        var (ids, logits) = PagedRun.Greedy(sparse, prompt, 6);
        var (kf, kh) = (options.Kept(c.IntermediateSize), options.Kept(c.NumHeads));
        var sequence = prompt.Concat(ids.SkipLast(1)).Select(i => (long)i).ToArray();
        using var reference = SparseReference.Logits(dir, sequence, prompt.Length, (layer, _, _, _) =>
            (Mask(c.NumHeads, SparseLayers.FixedIndices(layer, true, c.NumHeads, kh)),
             Mask(c.IntermediateSize, SparseLayers.FixedIndices(layer, false, c.IntermediateSize, kf))));
        for (var i = 0; i < ids.Length; i++)
            Assert.InRange(Fixture.MaxAbsDiff(logits[i], reference[prompt.Length - 1 + i].to(ScalarType.Float32)), 0, 2e-4);
    }

    private static bool[] Mask(int n, long[] kept)
    {
        var mask = new bool[n];
        foreach (var i in kept) mask[i] = true;
        return mask;
    }
}
