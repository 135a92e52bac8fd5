namespace OrleansLlm.Soak;

/// <summary>
/// A load balancer's view of the silos: each one's HTTP API is asked for /ready twice a second, and requests go round
/// the ready ones. A killed silo drops out at its next failed probe, with the connections pooled to it (a new client
/// takes its place, so no request goes out on a connection to the dead process); a restarted one comes back when it
/// answers ready.
/// </summary>
internal sealed class Router : IAsyncDisposable
{
    private readonly Uri[] _silos;
    private readonly HttpClient[] _clients;
    private readonly bool[] _ready;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _polling;
    private int _next;

    public Router(SoakCluster cluster)
    {
        _silos = Enumerable.Range(0, cluster.Silos).Select(cluster.Http).ToArray();
        _clients = _silos.Select(s => ApiCalls.Client(s)).ToArray();
        _ready = new bool[cluster.Silos];
        _polling = Task.Run(() => Poll(_stop.Token));
    }

    public bool IsReady(int silo) => Volatile.Read(ref _ready[silo]);

    /// <summary>The next ready silo and its client, or null while none is.</summary>
    public (int Silo, HttpClient Http)? Pick()
    {
        for (var tries = 0; tries < _clients.Length; tries++)
        {
            var i = (int)((uint)Interlocked.Increment(ref _next) % (uint)_clients.Length);
            if (IsReady(i)) return (i, Volatile.Read(ref _clients[i]));
        }
        return null;
    }

    public async Task WaitReady(int silo, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!IsReady(silo))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"silo {silo} did not answer /ready within {limit.TotalSeconds:F0} s");
            await Task.Delay(100);
        }
    }

    private async Task Poll(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.WhenAll(Enumerable.Range(0, _silos.Length).Select(async i =>
            {
                using var probe = CancellationTokenSource.CreateLinkedTokenSource(ct);
                probe.CancelAfter(TimeSpan.FromSeconds(2));
                bool ready;
                try { ready = (await Volatile.Read(ref _clients[i]).GetAsync("ready", probe.Token)).IsSuccessStatusCode; }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException) { ready = false; }
                // Requests still running on the old client end as the process ended them; new ones get new connections.
                if (IsReady(i) && !ready) Volatile.Write(ref _clients[i], ApiCalls.Client(_silos[i]));
                Volatile.Write(ref _ready[i], ready);
            }));
            try { await Task.Delay(500, ct); } catch (OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _polling;
        foreach (var c in _clients) c.Dispose();
    }
}
