using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Parallel;
using OrleansLlm.Tests.Engine;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Serving;

/// <summary>
/// The tensor-parallel stack that GPU ranks of one silo run (all-reduces inside the script, NCCL on the devices),
/// checked on a CPU as a group of one rank: its all-reduce is then the identity, so the stack and the joined head must
/// give what the batched forward and head give. Catches script and composition errors before a GPU ever runs it.
/// </summary>
public class DeviceTensorParallelTests
{
    static DeviceTensorParallelTests() =>
        OrleansLlm.Engine.Model.Layers.LayerForm.AllReduceRewrite = source => "def alone_(t: Tensor, clique: int, rank: int) -> Tensor:\n    return t\n\n"
            + source.Replace("torch.olm_all_reduce_(", "alone_(");

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    public void OneRankGroupEqualsTheBatchedForward(string name)
    {
        var f = new Fixture(name);
        using var model = f.LoadModel();
        using var pool = model.NewPool(blocks: 20, blockSize: 4);
        using var alonePool = model.NewPool(blocks: 20, blockSize: 4);
        var layout = new BatchLayout([new BatchEntry(0, 9, [1, 2, 3], BatchOutput.Next), new BatchEntry(0, 4, [4, 5], BatchOutput.Next)], 4);
        using var batch = BatchTensors.Build(layout, CPU);
        using var x = model.Embed(tensor(Enumerable.Range(5, 13).Select(i => (long)i).ToArray()));
        var group = new DeviceCollective(0, 0);

        using var tp = model.ForwardBatchTp(x, batch, pool, group);
        using var reference = model.ForwardBatch(x, batch, alonePool);
        Assert.InRange(Fixture.MaxAbsDiff(tp, reference), 0, 1e-5);

        var (joined, _) = BatchHead.Part(model, tp, layout, new int[]?[2], group);
        var (plain, _) = BatchHead.Part(model, reference, layout, new int[]?[2]);
        Assert.Equal([2L, (long)model.Config.VocabSize], joined!.shape);
        Assert.InRange(Fixture.MaxAbsDiff(joined, plain!), 0, 1e-5);
    }
}
