using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Silo;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(SiloSettings.Help);
    return 0;
}
try
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
    builder.Configuration.AddEnvironmentVariables("OLM_").AddCommandLine(args, SiloSettings.Switches);
    var settings = SiloSettings.From(builder.Configuration);
    var options = settings.ToOptions();
    builder.UseOrleans(silo => silo
        .UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, settings.PrimaryEndpoint(), "orleans-llm", settings.ClusterId)
        .AddOrleansLlm(options));
    using var host = builder.Build();
    await host.StartAsync();
    Console.WriteLine($"silo up: devices {string.Join(", ", options.Devices)}, silo port {settings.SiloPort}, gateway port {settings.GatewayPort}; Ctrl+C stops it");
    await host.WaitForShutdownAsync();
    return 0;
}
catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or IOException
                              or System.Net.Sockets.SocketException or OrleansLlm.Grains.Interfaces.OlmException)
{
    Console.Error.WriteLine($"silo: {e.Message}");
    return 1;
}
