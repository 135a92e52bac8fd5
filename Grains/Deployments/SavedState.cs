namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// A control grain's state in control storage (Redis, or the oldest silo's memory), written one write at a time:
/// interleaved calls (a silo's death reported while a deploy finishes) would otherwise race on the storage ETag.
/// </summary>
internal sealed class SavedState<T>(IPersistentState<T> state) where T : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public T Value => state.State;

    /// <summary>
    /// Takes the new value at once (the grain serves it even while storage is away), then writes whatever value is
    /// newest when its turn comes.
    /// </summary>
    public async Task SaveAsync(T value)
    {
        state.State = value;
        await _gate.WaitAsync();
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not Orleans.Storage.InconsistentStateException)
        {
            throw new OlmException($"cannot save control state ({e.Message.Split('\n')[0].Trim()})");
        }
        finally
        {
            _gate.Release();
        }
    }
}
