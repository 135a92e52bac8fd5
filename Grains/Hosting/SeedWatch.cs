using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// On a seed-based silo that joined through a first silo: the membership table lives on that first silo, so while it
/// is gone nothing can be declared dead and its control grains cannot be reached. Orleans' own logs say so only as
/// failing probes; this says it once in words, and once more when the first silo answers again.
/// </summary>
public sealed partial class SeedWatch(IPEndPoint primary, ILogger<SeedWatch> log) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(3);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var reachable = true;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await Task.Delay(Period, stopping);
                var now = await Answers(stopping);
                if (now == reachable) continue;
                reachable = now;
                if (now) LogBack(log, primary.ToString());
                else LogGone(log, primary.ToString());
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { } // the silo stops: so does the watch
    }

    private async Task<bool> Answers(CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(Period);
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(primary, timeout.Token);
            return true;
        }
        catch (Exception) when (!stopping.IsCancellationRequested)
        {
            // Refused, unreachable or no answer in time: each is the answer; the watch logs the change, not each probe.
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "the first silo {Primary} does not answer: this seed-based cluster keeps its " +
        "membership and deployments there, so requests fail until it is back (run the silos with --redis to survive any silo)")]
    private static partial void LogGone(ILogger logger, string primary);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the first silo {Primary} answers again")]
    private static partial void LogBack(ILogger logger, string primary);
}
