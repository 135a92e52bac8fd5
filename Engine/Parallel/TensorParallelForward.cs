using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using OrleansLlm.Engine.Sequence;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Parallel;

/// <summary>
/// One rank's layers of a tensor-parallel stage over a batch: per layer its heads' attention partial and its FFN
/// columns' MLP partial (float32), each all-reduced and added to the residual with one rounding (TPI-LLM's two
/// all-reduces a layer). Compute runs
/// through <paramref name="run"/> (the device's thread); each device job adds the previous total and computes the next
/// partial, so an all-reduce costs one hop.
/// </summary>
public static class TensorParallelForward
{
    /// <summary>The stage's output hidden states [T, hidden] for input x [T, hidden] (taken over).</summary>
    public static async Task<Tensor> RunAsync(ShardModel model, Tensor x, BatchTensors batch, PagedKvPool pool,
        IAllReduce allReduce, IComputeRunner run)
    {
        var (cos, sin) = await run.Run(() => model.Rope.Tables(batch.Positions, model.DType));
        Tensor? total = null;
        try
        {
            for (var k = 0; k < 2 * model.Slice.LayerCount; k++)
            {
                var (op, previous) = (k, total);
                var partial = await run.Run(() =>
                {
                    x = Fold(x, previous);
                    var layer = op / 2;
                    return op % 2 == 0
                        ? model.AttentionPartial(layer, x, batch, pool, cos, sin)
                        : model.MlpPartial(layer, x, batch);
                });
                total = await allReduce.SumAsync(partial);
            }
            var last = total;
            total = null;
            return await run.Run(() => Fold(x, last));
        }
        catch
        {
            await run.Run(() => { x.Dispose(); total?.Dispose(); return true; });
            throw;
        }
        finally
        {
            await run.Run(() => { cos.Dispose(); sin.Dispose(); return true; });
        }
    }

    /// <summary>x + the float32 total (moved to x's device), rounded once to x's dtype, freeing both inputs.</summary>
    private static Tensor Fold(Tensor x, Tensor? total)
    {
        if (total is null) return x;
        using (x)
        using (total)
        using (var here = total.to(x.device))
            return Kernels.AddTotal(x, here);
    }
}
