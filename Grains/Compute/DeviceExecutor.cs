using System.Collections.Concurrent;

namespace OrleansLlm.Grains.Compute;

/// <summary>
/// A dedicated thread per device that runs tensor work in order. Grain turns hand work to it and await the result,
/// so long native calls never block Orleans' scheduler, TorchSharp's thread-static dispose scopes never span an
/// await, and work of all shards on one device is serialized as the device would serialize it anyway.
/// </summary>
public sealed class DeviceExecutor : IDisposable
{
    private readonly BlockingCollection<Action> _queue = new();
    private readonly Thread _thread;

    public DeviceExecutor(string device, int threads)
    {
        Device = device;
        _thread = new Thread(() => Run(threads)) { IsBackground = true, Name = $"olm-{device}" };
        _thread.Start();
    }

    public string Device { get; }

    private void Run(int threads)
    {
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);
        // Serving never differentiates: in inference mode libtorch skips autograd's bookkeeping (version counters,
        // views' tracking) on every op: about a tenth of a tiny model's decode step on a CPU. Tensors made here are
        // inference tensors; only this thread changes them in place.
        using var inference = TorchSharp.torch.inference_mode();
        foreach (var work in _queue.GetConsumingEnumerable()) work();
    }

    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellation = default)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(() =>
            {
                if (cancellation.IsCancellationRequested) { done.TrySetCanceled(cancellation); return; }
                try { done.TrySetResult(work()); }
                catch (Exception e) { done.TrySetException(e); }
            });
        }
        catch (InvalidOperationException)
        {
            done.TrySetException(new OlmException($"device {Device} is shutting down"));
        }
        return done.Task;
    }

    public Task RunAsync(Action work, CancellationToken cancellation = default) =>
        RunAsync(() => { work(); return true; }, cancellation);

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(10));
    }
}
