using System.Net;
using Microsoft.Extensions.Configuration;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Silo;

/// <summary>The silo's settings from appsettings.json, OLM_ environment variables and the command line.</summary>
public sealed class SiloSettings
{
    public string Devices { get; set; } = "cpu";
    public double MemoryGiB { get; set; }
    public int Threads { get; set; }
    public double RelativeSpeed { get; set; } = 1.0;
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    /// <summary>HOST:PORT of the first silo; null for the first silo itself.</summary>
    public string? Primary { get; set; }
    public string ClusterId { get; set; } = "olm";
    public string? ModelDirectory { get; set; }
    public double DrainSeconds { get; set; } = 120;

    // Network, membership and TLS: their own class and switches (NetworkSettings.cs).
    public NetworkSettings Network { get; private set; } = new();

    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--devices"] = "Olm:Devices", ["--memory-gb"] = "Olm:MemoryGiB", ["--threads"] = "Olm:Threads",
        ["--speed"] = "Olm:RelativeSpeed", ["--silo-port"] = "Olm:SiloPort", ["--gateway-port"] = "Olm:GatewayPort",
        ["--primary"] = "Olm:Primary", ["--cluster-id"] = "Olm:ClusterId", ["--model-dir"] = "Olm:ModelDirectory",
        ["--drain-timeout"] = "Olm:DrainSeconds",
    };

    /// <summary>
    /// The settings from, in rising precedence, appsettings.json beside the program, OLM_ environment variables and the
    /// command line; with the configuration they came from (it also holds the logging section).
    /// </summary>
    public static (SiloSettings Settings, IConfiguration Configuration) Load(string[] args, string baseDirectory)
    {
        var configuration = new ConfigurationManager();
        configuration.SetBasePath(baseDirectory).AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables("OLM_")
            // The HTTP API's switches without a value would take the next switch as theirs.
            .AddCommandLine(args.Where(a => !Http.FrontDoorSettings.Flags.Contains(a)).ToArray(), Switches.Concat(NetworkSettings.Switches).ToDictionary());
        var settings = configuration.GetSection("Olm").Get<SiloSettings>() ?? new SiloSettings();
        settings.Network = configuration.GetSection("Olm").Get<NetworkSettings>() ?? new NetworkSettings();
        settings.Validate();
        return (settings, configuration);
    }

    private void Validate()
    {
        if (MemoryGiB < 0) throw new ArgumentException($"--memory-gb must be 0 (a default) or more, got {MemoryGiB}");
        if (Threads < 0) throw new ArgumentException($"--threads must be 0 (torch's choice) or more, got {Threads}");
        if (!(RelativeSpeed > 0)) throw new ArgumentException($"--speed must be above 0, got {RelativeSpeed}");
        if (!(DrainSeconds >= 0 && DrainSeconds <= 86400)) throw new ArgumentException($"--drain-timeout must be 0 to 86400 seconds, got {DrainSeconds}");
        foreach (var (name, port) in new[] { ("--silo-port", SiloPort), ("--gateway-port", GatewayPort) })
            if (port is < 1 or > 65535) throw new ArgumentException($"{name} must be a port number, got {port}");
        foreach (var device in ToOptions().Devices) DeviceInventory.Normalize(device);
        PrimaryEndpoint();
        Network.Validate(Primary);
    }

    public OlmSiloOptions ToOptions() => new()
    {
        Devices = Devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        MemoryGiB = MemoryGiB,
        Threads = Threads,
        RelativeSpeed = RelativeSpeed,
        ModelDirectory = ModelDirectory,
        DrainTimeout = TimeSpan.FromSeconds(DrainSeconds),
    };

    public IPEndPoint? PrimaryEndpoint() =>
        Primary is null ? null
        : IPEndPoint.TryParse(Primary, out var ep) ? ep
        : throw new ArgumentException($"--primary must be HOST:PORT of the first silo's silo port, got '{Primary}'");

    public const string Help = """
        OrleansLlm silo: hosts shard grains on this machine's devices.

        Usage: Silo [options]   (or set them in appsettings.json under "Olm", or as OLM_Olm__Name variables)
          --devices LIST       devices offered, comma separated: cpu, cuda:0, cuda:1 (default cpu)
          --memory-gb N        memory budget per device in GiB for weights and KV caches (default: 3/4 of RAM, 70 for a GPU)
          --threads N          compute threads per CPU device (default: torch's choice)
          --speed X            relative speed of this silo's devices, for uneven splits (default 1)
          --silo-port N        port for silo-to-silo traffic (default 11111)
          --gateway-port N     port clients connect to (default 30000)
          --primary HOST:PORT  silo port of the first silo; omit on the first silo itself
          --cluster-id ID      cluster name shared by all silos and clients (default olm)
          --model-dir DIR      folder that relative model paths are resolved against
          --drain-timeout S    on SIGTERM, seconds to move this silo's shards off and finish its generations (default 120)
        """ + "\n" + NetworkSettings.Help;
}
