using System.Diagnostics;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Soak;

/// <summary>
/// The soak: the model deployed on the silos, the undisturbed answers taken, then clients in a loop for the run's
/// length; at 40% the silo holding the model's shard is killed (kill -9), and once its deployment has recovered on the
/// others it is started again. At the end: what was served and refused, what failed and why, KV blocks still held
/// once the load is gone (must be 0), each silo's memory growth, and latency percentiles before the kill and after
/// the restart.
/// </summary>
internal sealed class SoakRun(SoakOptions options, TextWriter log)
{
    private const string Deployment = "stories260K";
    private readonly Stopwatch _clock = new();
    private double _killedAt = double.PositiveInfinity, _recoveredAt = double.PositiveInfinity;

    /// <summary>Whether a request that ran over [start, end] met the kill: from the kill until 3 s after recovery.</summary>
    private bool Disrupted(double start, double end) => end >= _killedAt && start <= Volatile.Read(ref _recoveredAt) + 3;

    public async Task<SoakReport> RunAsync(CancellationToken ct)
    {
        await using var cluster = await SoakCluster.StartAsync(options, log);
        await cluster.Client.GetGrain<IDeploymentGrain>(Deployment).DeployAsync(new DeploySpec { Model = Path.GetFullPath(options.Model) });
        await using var router = new Router(cluster);
        for (var i = 0; i < cluster.Silos; i++) await router.WaitReady(i, TimeSpan.FromSeconds(60));
        using (var first = ApiCalls.Client(cluster.Http(0)))
        {
            var references = await References.MakeAsync(first, ct);
            var report = new SoakReport(options, cluster.Silos);
            await Load(cluster, router, references, report, ct);
            return report;
        }
    }

    private async Task Load(SoakCluster cluster, Router router, References references, SoakReport report, CancellationToken ct)
    {
        var tally = new Tally();
        var silos = Enumerable.Range(0, cluster.Silos).Select(cluster.Http).ToArray();
        _clock.Start();
        for (var i = 0; i < cluster.Silos; i++) report.MemoryAtStart[i] = cluster.ResidentBytes(i);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(options.Duration);
        var users = Enumerable.Range(0, options.Clients)
            .Select(u => Task.Run(() => new LoadUser(router, silos, references, tally, Disrupted, _clock, 1000 + u).RunAsync(stop.Token)))
            .ToArray();
        log.WriteLine($"soak: {options.Clients} clients for {options.Duration.TotalMinutes:F1} min");
        try
        {
            await KillAndRestart(cluster, router, report, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        await Task.WhenAll(users);
        report.EndS = _clock.Elapsed.TotalSeconds;
        for (var i = 0; i < cluster.Silos; i++) report.MemoryAtEnd[i] = cluster.ResidentBytes(i);
        (report.KvBlocksLeft, report.RequestsLeft) = await Settled(cluster);
        report.Take(tally);
        report.LogTails = Enumerable.Range(0, cluster.Silos).Select(i => cluster.Log(i).Split('\n')
            .Where(l => l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase)
                        || l.Contains("error", StringComparison.OrdinalIgnoreCase)).TakeLast(12).ToArray()).ToArray();
    }

    private async Task KillAndRestart(SoakCluster cluster, Router router, SoakReport report, CancellationToken ct)
    {
        await Task.Delay(options.Duration * 0.4, ct);
        var victim = await cluster.SiloOfFirstShardAsync(Deployment);
        // The time of the signal, not of the process's end: requests it cuts may fail before Kill returns.
        _killedAt = report.KilledAtS = _clock.Elapsed.TotalSeconds;
        cluster.Kill(victim);
        report.Victim = victim;
        log.WriteLine($"soak: killed silo {victim} (kill -9) at {_killedAt:F1} s");
        while (!await Recovered(cluster, victim)) await Task.Delay(250, ct);
        Volatile.Write(ref _recoveredAt, report.RecoveredAtS = _clock.Elapsed.TotalSeconds);
        log.WriteLine($"soak: deployment recovered at {_recoveredAt:F1} s");
        var restartAt = Math.Max(_recoveredAt + 5, options.Duration.TotalSeconds * 0.55);
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, restartAt - _clock.Elapsed.TotalSeconds)), ct);
        await cluster.StartSiloAsync(victim);
        report.RestartedAtS = _clock.Elapsed.TotalSeconds;
        await router.WaitReady(victim, TimeSpan.FromSeconds(60));
        report.ReadyAgainAtS = _clock.Elapsed.TotalSeconds;
        report.MemoryAtStart[victim] = cluster.ResidentBytes(victim);
        log.WriteLine($"soak: silo {victim} restarted at {report.RestartedAtS:F1} s, ready at {report.ReadyAgainAtS:F1} s");
    }

    /// <summary>
    /// Whether the deployment is ready again with no shard on the killed silo. Until the cluster has declared it dead,
    /// calls to grains that lived there fail: that is the answer "not yet".
    /// </summary>
    private static async Task<bool> Recovered(SoakCluster cluster, int victim)
    {
        try
        {
            return await cluster.Client.GetGrain<IDeploymentGrain>(Deployment).GetAsync() is { State: DeploymentState.Ready }
                   && await cluster.SiloOfFirstShardAsync(Deployment) != victim;
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>KV blocks and requests the shards still hold once every client is done, given up to 30 s to drain.</summary>
    private static async Task<(int, int)> Settled(SoakCluster cluster)
    {
        var left = (0, 0);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(500))
            if ((left = await cluster.KvInUseAsync(Deployment)) == (0, 0)) break;
        return left;
    }
}
