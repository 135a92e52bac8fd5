using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// Watches cluster membership and tells every deployment when a silo dies, so its shards there are marked failed and
/// a failure event goes out (each silo reports; deployments ignore repeats).
/// </summary>
public sealed partial class SiloDeathWatcher(IClusterMembershipService membership, IGrainFactory grains,
    ILogger<SiloDeathWatcher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var dead = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stopping))
                foreach (var (silo, member) in snapshot.Members)
                    if (member.Status == SiloStatus.Dead && dead.Add(silo))
                        await Report(silo.ToParsableString());
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { } // the silo stops: so does the watch
    }

    private async Task Report(string silo)
    {
        try
        {
            LogDead(log, silo);
            var ids = await grains.GetGrain<IDeploymentDirectoryGrain>(0).ListAsync();
            await Task.WhenAll(ids.Select(id => grains.GetGrain<IDeploymentGrain>(id).SiloDiedAsync(silo)));
        }
        catch (Exception e)
        {
            LogReportFailed(log, silo, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "silo {Silo} is dead; marking its shards failed")]
    private static partial void LogDead(ILogger logger, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not report the death of silo {Silo}: {Error}")]
    private static partial void LogReportFailed(ILogger logger, string silo, string error);
}
