using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansLlm.Grains.Hosting;

/// <summary>Builds a silo host with seed (localhost) clustering: the Silo program, embedded clusters and bench silos.</summary>
public static class OlmHosts
{
    public const string ServiceId = ClusterNames.ServiceId;

    public static HostApplicationBuilder SiloBuilder(int siloPort, int gatewayPort, IPEndPoint? primary, string clusterId,
        OlmSiloOptions options, bool quiet, string? contentRoot = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = quiet, ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
        });
        if (quiet) builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort, primary, ServiceId, clusterId)
            .AddOrleansLlm(options));
        return builder;
    }
}
