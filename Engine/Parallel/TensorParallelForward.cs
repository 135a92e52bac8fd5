using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using OrleansLlm.Engine.Sequence;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Parallel;

/// <summary>
/// One rank's layers of a tensor-parallel stage over a batch, when the stage's ranks add up in messages: per layer the
/// layer's attention half and MLP half joined as the rank's float32 partial (its heads, its FFN columns), each summed
/// over the ranks and folded into the residual with one rounding (TPI-LLM's two all-reduces a layer). Compute runs
/// through <paramref name="run"/> (the device's thread); each device job folds the previous total and computes the next
/// partial, so an all-reduce costs one hop.
/// </summary>
public static class TensorParallelForward
{
    /// <summary>The stage's output hidden states [T, hidden] for input x [T, hidden] (taken over).</summary>
    public static async Task<Tensor> RunAsync(ShardModel model, Tensor x, BatchTensors batch, PagedKvPool pool,
        IAllReduce allReduce, IComputeRunner run)
    {
        var halves = await run.Run(() => model.StartHalves(batch, pool, partial: true));
        Tensor? total = null;
        try
        {
            for (var k = 0; k < 2 * model.Slice.LayerCount; k++)
            {
                var (op, previous) = (k, total);
                var partial = await run.Run(() =>
                {
                    if (op > 0) x = Fold(halves, op - 1, x, previous!);
                    return op % 2 == 0 ? halves.Attention(op / 2, x) : halves.Mlp(op / 2, x);
                });
                total = await allReduce.SumAsync(partial);
            }
            var last = total;
            total = null;
            return await run.Run(() => Fold(halves, 2 * model.Slice.LayerCount - 1, x, last!));
        }
        catch
        {
            await run.Run(() => { x.Dispose(); total?.Dispose(); return true; });
            throw;
        }
        finally
        {
            await run.Run(() => { halves.Dispose(); return true; });
        }
    }

    /// <summary>x plus half <paramref name="op"/>'s float32 total (moved to x's device), rounded once, freeing both inputs.</summary>
    private static Tensor Fold(ShardModel.HalfRun halves, int op, Tensor x, Tensor total)
    {
        using (x)
        using (total)
        using (var here = total.to(x.device))
            return halves.Fold(op / 2, op % 2 == 0, x, here);
    }
}
