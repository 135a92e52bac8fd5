using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces.Connection;
using OrleansLlm.Silo;
using OrleansLlm.Silo.Http;
using OrleansLlm.Silo.Logging;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(SiloSettings.Help + Environment.NewLine + FrontDoorSettings.Help);
    return 0;
}
try
{
    var (settings, configuration) = SiloSettings.Load(args, AppContext.BaseDirectory);
    var options = settings.ToOptions();
    var http = FrontDoorSettings.Load(args, configuration);
    OrleansLlm.Engine.LibTorch.EnsureLoadable();
    var network = settings.Network;
    var endpoints = network.Endpoints(settings.SiloPort, settings.GatewayPort, settings.PrimaryEndpoint());
    var access = network.Access(settings.ClusterId);
    var builder = OlmHosts.SiloBuilder(endpoints, access, options, quiet: false, network.Detection());
    builder.Configuration.AddConfiguration(configuration);
    builder.Logging.ClearProviders().AddOneLineConsole(OneLineLogging.Verbose(configuration));
    // Cleared with the rest: the notes a failed join reports its reason from (OlmHosts.StartSiloAsync).
    builder.Logging.Services.AddSingleton<ILoggerProvider>(sp => sp.GetRequiredService<ConnectionNotes>());
    using var host = builder.Build();
    await OlmHosts.StartSiloAsync(host, access);
    Console.WriteLine($"silo up: devices {string.Join(", ", options.Devices)}, {endpoints.AdvertisedAddress()} silo port {settings.SiloPort}, " +
                      $"gateway port {settings.GatewayPort}, cluster '{settings.ClusterId}'" +
                      (network.Redis is null ? "" : $" on Redis {RedisConnection.Describe(network.Redis)}") + "; Ctrl+C stops it");
    await using var api = await FrontDoorHost.StartAsync(host, http, logging => logging
        .AddConfiguration(configuration.GetSection("Logging")).AddOneLineConsole(OneLineLogging.Verbose(configuration)));
    await host.WaitForShutdownAsync();
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"silo: {StartupError.Describe(e)}");
    return 1;
}
