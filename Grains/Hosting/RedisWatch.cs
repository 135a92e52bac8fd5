using OrleansLlm.Grains.Interfaces.Connection;
using Microsoft.Extensions.Hosting;

namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// Pings Redis every 2 s from a silo. Membership and control state touch Redis only now and then, so a Redis cut off
/// the network could go unnoticed for a minute; this makes the silo say so (through <see cref="RedisConnection"/>, one
/// line when it goes and one when it is back) within seconds.
/// </summary>
public sealed class RedisWatch(RedisConnection redis) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        try
        {
            var multiplexer = await redis.GetAsync();
            while (!stopping.IsCancellationRequested)
            {
                await Task.Delay(Period, stopping);
                try
                {
                    await multiplexer.GetDatabase().PingAsync().WaitAsync(Period, stopping);
                    redis.Back();
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    // Whatever a ping throws (timeouts, a cancelled reconnect) means no answer; a watcher that threw
                    // would stop the whole silo.
                    redis.Lost(e is TimeoutException ? "no answer in 2 s" : e.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { } // the silo stops: so does the watch
        catch (OlmException) { } // never connected: the silo's start fails and says so
    }
}
