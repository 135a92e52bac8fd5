using OrleansLlm.Grains.Interfaces.Connection;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Tests.Hosting;

/// <summary>An in-process client of a running cluster, configured as `olm` configures its own (ClusterClient.Configure).</summary>
public sealed class TestClient : IAsyncDisposable
{
    private readonly IHost _host;

    private TestClient(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<TestClient> ConnectAsync(ClusterAccess access, IPEndPoint? gateway = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(c =>
        {
            ClusterClient.Configure(c, access, gateway);
            c.AddMemoryStreams(StreamNames.Provider);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new TestClient(host);
    }

    public Task<DeploymentInfo> DeployAsync(string model) =>
        Client.GetGrain<IDeploymentGrain>(new DeploySpec { Model = model }.DefaultId()).DeployAsync(new DeploySpec { Model = model });

    public IAsyncEnumerable<TokenChunk> GenerateAsync(string deploymentId, int[] prompt, int maxTokens) =>
        Client.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(
            new GenerateRequest { DeploymentId = deploymentId, PromptIds = prompt, MaxTokens = maxTokens });

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
