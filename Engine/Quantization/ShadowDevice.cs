using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// Where shadows run: a thread of its own on the host's CPU (llm.npu runs them on the CPU beside the NPU). The shard's
/// device thread hands it a clipped remainder and runs the int8 matmul meanwhile, then adds the product back. Its
/// weights (the outlier channels' columns) live on the host.
/// </summary>
public sealed class ShadowDevice : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public ShadowDevice()
    {
        _thread = new Thread(() => { foreach (var w in _work.GetConsumingEnumerable()) w(); }) { IsBackground = true, Name = "olm-shadow" };
        _thread.Start();
    }

    /// <summary>remainder [M, C] (any device) · columnsᵀ (columns [N, C] float32 on the host): [M, N] on the host, owned by the caller.</summary>
    public Task<Tensor> Multiply(Tensor remainder, Tensor columns)
    {
        var done = new TaskCompletionSource<Tensor>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                using var host = remainder.to(CPU);
                done.SetResult(host.matmul(columns.t()));
            }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join();
        _work.Dispose();
    }
}
