namespace OrleansLlm.Grains.Requests;

/// <summary>Generations running on this silo's request grains, so a stopping silo can let them finish.</summary>
public sealed class LocalRequests
{
    private int _running;
    private TaskCompletionSource _idle = Idle();

    public int Running => Volatile.Read(ref _running);

    public void Enter()
    {
        if (Interlocked.Increment(ref _running) == 1) Interlocked.Exchange(ref _idle, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    public void Leave()
    {
        if (Interlocked.Decrement(ref _running) == 0) _idle.TrySetResult();
    }

    /// <summary>Completes when no generation runs here.</summary>
    public Task WhenIdle(CancellationToken cancellation) =>
        Running == 0 ? Task.CompletedTask : _idle.Task.WaitAsync(cancellation);

    private static TaskCompletionSource Idle()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        idle.SetResult();
        return idle;
    }
}
