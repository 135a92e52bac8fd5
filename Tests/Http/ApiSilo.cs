using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Grains.Interfaces.Connection;
using OrleansLlm.Silo.Http;

namespace OrleansLlm.Tests.Http;

/// <summary>A silo with its HTTP API on loopback, the settings made for the port it got, and a client with the first key.</summary>
public sealed class ApiSilo : IAsyncDisposable
{
    private readonly IHost _silo;
    private readonly WebApplication _api;

    private ApiSilo(IHost silo, WebApplication api, int port, string? key)
    {
        (_silo, _api, Port) = (silo, api, port);
        BaseAddress = new Uri($"http://localhost:{port}/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
        if (key is not null) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public IClusterClient Cluster => _silo.Services.GetRequiredService<IClusterClient>();
    public IServiceProvider Services => _silo.Services;

    public static async Task<ApiSilo> StartAsync(string clusterId, Func<int, FrontDoorSettings> settings,
        Action<ILoggingBuilder>? logging = null)
    {
        var ports = LoopbackPorts.Free(3);
        var silo = OlmHosts.SiloBuilder(SiloEndpoints.Loopback(ports[0], ports[1], null), new ClusterAccess { ClusterId = clusterId },
            new OlmSiloOptions { Threads = 1 }, quiet: true).Build();
        await silo.StartAsync();
        var frontDoor = settings(ports[2]);
        var api = await FrontDoor.StartAsync(silo.Services.GetRequiredService<IClusterClient>(), frontDoor, logging);
        return new ApiSilo(silo, api, ports[2], frontDoor.ApiKeys.FirstOrDefault());
    }

    public Task DeployAsync(string name, string dir) => Cluster.GetGrain<IDeploymentGrain>(name).DeployAsync(new DeploySpec { Model = dir });

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _api.DisposeAsync();
        await _silo.StopAsync();
        _silo.Dispose();
    }
}
