using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansLlm.Grains.Requests;

namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// A silo told to stop (SIGTERM, Ctrl+C) drains before it leaves: it offers its devices to no new plan, every
/// deployment with shards here moves them to the other silos (their running requests resume there, as after a loss,
/// without waiting for failure detection), and the generations its own request grains run are let finish. Registered
/// after Orleans, so it stops first, while the silo still serves; bounded by the host's shutdown timeout.
/// </summary>
public sealed partial class SiloDrain(DeviceInventory inventory, LocalRequests requests, IGrainFactory grains,
    ILocalSiloDetails silo, ILogger<SiloDrain> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        inventory.Draining = true;
        var me = silo.SiloAddress.ToParsableString();
        try
        {
            var ids = await grains.GetGrain<IDeploymentDirectoryGrain>(0).ListAsync().WaitAsync(cancellationToken);
            var deployments = await Task.WhenAll(ids.Select(id => grains.GetGrain<IDeploymentGrain>(id).GetAsync()));
            var here = deployments.OfType<DeploymentInfo>().Where(d => d.Shards.Any(s => s.Silo == me)).Select(d => d.Id).ToList();
            if (here.Count > 0) LogMoving(log, string.Join(", ", here));
            await Task.WhenAll(here.Select(id => grains.GetGrain<IDeploymentGrain>(id).DrainAsync(me))).WaitAsync(cancellationToken);
            if (requests.Running > 0) LogWaiting(log, requests.Running);
            await requests.WhenIdle(cancellationToken);
            LogDrained(log);
        }
        catch (Exception e)
        {
            LogDrainFailed(log, e is OperationCanceledException ? "the shutdown timeout ran out" : e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "draining: moving deployment(s) {Ids} to the other silos")]
    private static partial void LogMoving(ILogger logger, string ids);

    [LoggerMessage(Level = LogLevel.Information, Message = "draining: waiting for {Count} running generation(s)")]
    private static partial void LogWaiting(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "drained: no shard or generation left here")]
    private static partial void LogDrained(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "drain incomplete: {Reason}")]
    private static partial void LogDrainFailed(ILogger logger, string reason);
}
