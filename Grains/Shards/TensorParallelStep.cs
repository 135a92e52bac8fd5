using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// One rank's state through a tensor-parallel step, advanced by executor jobs between all-reduces: job k adds the
/// total of all-reduce k−1 to the residual and computes the partial sum of operation k (attention, then MLP, per
/// layer), so each all-reduce costs one executor hop.
/// </summary>
internal sealed class TensorParallelStep(ShardModel model, RequestState state) : IDisposable
{
    private Tensor? _x;
    private (Tensor Cos, Tensor Sin, Tensor Positions) _rope;

    public int Operations => 2 * model.Layers.Count;

    /// <summary>Runs on the executor: folds in the previous total (if any) and returns the partial of operation k.</summary>
    public TensorBytes Advance(StepInput input, int k, TensorBytes? previousTotal)
    {
        if (k == 0)
        {
            _x = StageCompute.Input(model, input);
            _rope = StageCompute.Rope(model, state, _x.shape[0]);
        }
        else _x = StageCompute.AddSum(model, _x!, previousTotal!);
        var layer = k / 2;
        return k % 2 == 0
            ? StageCompute.AttentionPartial(model, state, layer, _x!, _rope)
            : StageCompute.MlpPartial(model, layer, _x!);
    }

    /// <summary>Runs on the executor: folds in the last total and hands over the stage's output hidden states.</summary>
    public Tensor Finish(TensorBytes lastTotal)
    {
        var x = StageCompute.AddSum(model, _x!, lastTotal);
        _x = null;
        return x;
    }

    public void Dispose()
    {
        _x?.Dispose();
        _rope.Cos?.Dispose();
        _rope.Sin?.Dispose();
        _rope.Positions?.Dispose();
    }
}
