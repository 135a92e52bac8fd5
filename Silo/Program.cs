using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansLlm.Grains.Hosting;
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
    var builder = OlmHosts.SiloBuilder(settings.SiloPort, settings.GatewayPort, settings.PrimaryEndpoint(), settings.ClusterId,
        options, quiet: false);
    builder.Configuration.AddConfiguration(configuration);
    builder.Logging.ClearProviders().AddOneLineConsole(OneLineLogging.Verbose(configuration));
    using var host = builder.Build();
    await host.StartAsync();
    Console.WriteLine($"silo up: devices {string.Join(", ", options.Devices)}, silo port {settings.SiloPort}, gateway port {settings.GatewayPort}; Ctrl+C stops it");
    await using var api = await FrontDoorHost.StartAsync(host, http, logging => logging
        .AddConfiguration(configuration.GetSection("Logging")).AddOneLineConsole(OneLineLogging.Verbose(configuration)));
    await host.WaitForShutdownAsync();
    return 0;
}
catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or IOException
                              or System.Net.Sockets.SocketException or OrleansLlm.Grains.Interfaces.OlmException
                              or OrleansLlm.Engine.LibTorchMissingException)
{
    Console.Error.WriteLine($"silo: {e.Message}");
    return 1;
}
