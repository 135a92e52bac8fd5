namespace OrleansLlm.Silo.Http;

/// <summary>
/// At most <paramref name="max"/> generations at once per caller (an API key, or a client address where no keys are
/// set; see <see cref="ApiKeys.Caller"/>), so one client cannot hold every slot, body buffer and KV block; 0 for no limit.
/// A caller's count is dropped when it returns to zero, so passing addresses leave nothing behind.
/// </summary>
internal sealed class CallerLimit(int max)
{
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);

    public int Max => max;

    /// <summary>A slot, given back when disposed; null when the caller already holds <c>max</c>.</summary>
    public IDisposable? TryEnter(string caller)
    {
        if (max == 0) return Slot.None;
        lock (_running)
        {
            var running = _running.GetValueOrDefault(caller);
            if (running >= max) return null;
            _running[caller] = running + 1;
        }
        return new Slot(this, caller);
    }

    private void Leave(string caller)
    {
        lock (_running)
        {
            if (_running[caller] == 1) _running.Remove(caller);
            else _running[caller]--;
        }
    }

    private sealed class Slot(CallerLimit? limit, string caller) : IDisposable
    {
        public static readonly Slot None = new(null, "");
        private int _disposed;

        public void Dispose()
        {
            if (limit is not null && Interlocked.Exchange(ref _disposed, 1) == 0) limit.Leave(caller);
        }
    }
}
