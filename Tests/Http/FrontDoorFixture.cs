using OrleansLlm.Grains.Interfaces.Connection;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Silo.Http;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// A silo with its HTTP API on loopback, an API key, and two deployments: the demo model as "stories260K" (the way
/// --serve names it) and llama-tiny, which has no chat template.
/// </summary>
public sealed class FrontDoorFixture : IAsyncLifetime
{
    public const string Key = "test-key";
    private IHost _silo = null!;
    private WebApplication _api = null!;

    public IClusterClient Cluster { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var ports = LoopbackPorts.Free(3);
        _silo = OlmHosts.SiloBuilder(SiloEndpoints.Loopback(ports[0], ports[1], null), new ClusterAccess { ClusterId = "olm-http-test" },
            new OlmSiloOptions { Threads = 1 }, quiet: true).Build();
        await _silo.StartAsync();
        Cluster = _silo.Services.GetRequiredService<IClusterClient>();
        await Cluster.GetGrain<IDeploymentGrain>("stories260K").DeployAsync(new DeploySpec { Model = DemoModelTests.Dir });
        await Cluster.GetGrain<IDeploymentGrain>("llama-tiny").DeployAsync(new DeploySpec { Model = Fixture.DirOf("llama-tiny") });
        _api = await FrontDoor.StartAsync(Cluster, new FrontDoorSettings { Port = ports[2], ApiKey = Key });
        BaseAddress = new Uri($"http://localhost:{ports[2]}/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _api.DisposeAsync();
        await _silo.StopAsync();
        _silo.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class FrontDoorCollection : ICollectionFixture<FrontDoorFixture>
{
    public const string Name = "front door";
}
