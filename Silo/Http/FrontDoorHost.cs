using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Silo.Http;

/// <summary>The Silo program's part for HTTP: deploy what <c>--serve</c> names, then open the API.</summary>
public static class FrontDoorHost
{
    /// <summary>Null when no <c>--http-port</c> was given.</summary>
    public static async Task<WebApplication?> StartAsync(IHost silo, FrontDoorSettings settings, Action<ILoggingBuilder> logging)
    {
        if (settings.Port == 0) return null;
        var cluster = silo.Services.GetRequiredService<IClusterClient>();
        var log = silo.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansLlm.Silo.Http");
        var device = silo.Services.GetRequiredService<OlmSiloOptions>().Devices[0];
        await new ServedModels(cluster).ServeAsync(settings.Serve, device, settings.Weights, log);
        var app = await FrontDoor.StartAsync(cluster, settings, logging);
        Console.WriteLine($"HTTP API on http://{settings.Host}:{settings.Port}/v1{(settings.ApiKeys.Count == 0 ? "" : " (API key required)")}");
        return app;
    }
}
