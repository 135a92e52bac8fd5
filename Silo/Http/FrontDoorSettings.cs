using Microsoft.Extensions.Configuration;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// The HTTP API's settings: from the section "Http" of appsettings.json, OLM_Http__Name variables, or the command line
/// (the switches of <see cref="Help"/>; <c>--serve DIR</c> repeatable).
/// </summary>
public sealed class FrontDoorSettings
{
    /// <summary>Port of the HTTP API; 0 leaves it off.</summary>
    public int Port { get; init; }
    /// <summary>Address it listens on: localhost (loopback only), an IP address, or 0.0.0.0 for every interface.</summary>
    public string Host { get; init; } = "localhost";
    /// <summary>The keys clients may send as <c>Authorization: Bearer KEY</c>, each counted on its own; none lets anyone in.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    /// <summary>Whether /metrics asks for a key too (it shows deployments, shards and traffic).</summary>
    public bool MetricsRequireKey { get; init; }
    /// <summary>A request body larger than this is refused with 413 before it is read.</summary>
    public int MaxBodyMb { get; init; } = 32;
    /// <summary>Generations at once per API key (per client address without keys); 0 for no limit.</summary>
    public int MaxConcurrentPerKey { get; init; } = 64;
    /// <summary>Seconds a client has to send its request headers (Kestrel's RequestHeadersTimeout); 408 after.</summary>
    public double HeadersTimeoutSeconds { get; init; } = 30;
    /// <summary>Seconds a body may take before it must arrive at 240 bytes/s (Kestrel's MinRequestBodyDataRate); 408 after.</summary>
    public double BodyTimeoutSeconds { get; init; } = 5;

    /// <summary>The slowest a body may come after <see cref="BodyTimeoutSeconds"/> (Kestrel's default rate).</summary>
    public const int MinBodyBytesPerSecond = 240;
    /// <summary>Model folders deployed at start, each under its folder's name.</summary>
    public IReadOnlyList<string> Serve { get; init; } = [];
    /// <summary>How the <see cref="Serve"/> deployments hold their weights (int8, shadow outliers, a weight window).</summary>
    public WeightSettings Weights { get; init; } = new();

    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--http-port"] = "Http:Port", ["--http-host"] = "Http:Host", ["--api-key"] = "Http:ApiKey", ["--api-key-file"] = "Http:ApiKeyFile",
        ["--quantize"] = "Http:Quantize", ["--int8-threshold"] = "Http:Int8Threshold", ["--memory-window"] = "Http:MemoryWindow",
        ["--max-body-mb"] = "Http:MaxBodyMb", ["--max-concurrent-per-key"] = "Http:MaxConcurrentPerKey",
        ["--headers-timeout"] = "Http:HeadersTimeoutSeconds", ["--body-timeout"] = "Http:BodyTimeoutSeconds",
    };

    /// <summary>Switches without a value, kept from the command-line reader (which would take the next switch as theirs).</summary>
    public static readonly string[] Flags = ["--shadow-outliers", "--metrics-require-key"];

    public static FrontDoorSettings Load(string[] args, IConfiguration configuration)
    {
        var http = new ConfigurationBuilder().AddConfiguration(configuration)
            .AddCommandLine(args.Where(a => !Flags.Contains(a)).ToArray(), Switches).Build().GetSection("Http");
        var port = http.GetValue<int?>("Port") ?? 0;
        if (port is < 0 or > 65535) throw new ArgumentException($"--http-port must be a port number, got {port}");
        var serve = http.GetSection("Serve").GetChildren().Select(c => c.Value!).Concat(Values(args, "--serve")).ToList();
        foreach (var dir in serve)
            if (!Directory.Exists(dir)) throw new ArgumentException($"--serve {dir}: no such folder");
        if (serve.Count > 0 && port == 0) throw new ArgumentException("--serve needs --http-port: served models are reached over HTTP");
        var settings = new FrontDoorSettings
        {
            Port = port, Host = http["Host"] ?? "localhost", Serve = serve, Weights = ServedWeights(args, http),
            ApiKeys = Http.ApiKeys.Read(http["ApiKey"], http["ApiKeyFile"]),
            MetricsRequireKey = args.Contains("--metrics-require-key") || http.GetValue<bool>("MetricsRequireKey"),
            MaxBodyMb = http.GetValue<int?>("MaxBodyMb") ?? 32,
            MaxConcurrentPerKey = http.GetValue<int?>("MaxConcurrentPerKey") ?? 64,
            HeadersTimeoutSeconds = http.GetValue<double?>("HeadersTimeoutSeconds") ?? 30,
            BodyTimeoutSeconds = http.GetValue<double?>("BodyTimeoutSeconds") ?? 5,
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Refuses, in one line naming the switch, what makes no sense.</summary>
    public void Validate()
    {
        if (MaxBodyMb is < 1 or > 2047) throw new ArgumentException($"--max-body-mb must be 1 to 2047, got {MaxBodyMb}");
        if (MaxConcurrentPerKey < 0) throw new ArgumentException($"--max-concurrent-per-key must be 0 (no limit) or more, got {MaxConcurrentPerKey}");
        if (!(HeadersTimeoutSeconds > 0)) throw new ArgumentException($"--headers-timeout must be above 0 seconds, got {HeadersTimeoutSeconds}");
        // Kestrel measures rates on a heartbeat of one second and wants a longer grace.
        if (!(BodyTimeoutSeconds > 1)) throw new ArgumentException($"--body-timeout must be above 1 second, got {BodyTimeoutSeconds}");
        if (MetricsRequireKey && ApiKeys.Count == 0) throw new ArgumentException("--metrics-require-key needs --api-key or --api-key-file");
        if (Host != "localhost" && !System.Net.IPAddress.TryParse(Host, out _))
            throw new ArgumentException($"--http-host must be localhost or an IP address of this machine, got '{Host}'");
        if (Port != 0 && !OnLoopback && ApiKeys.Count == 0)
            throw new ArgumentException($"--http-host {Host} opens the HTTP API to the network, which needs a key: give --api-key-file " +
                                        "(or --api-key), or leave --http-host out to stay on localhost");
    }

    /// <summary>Whether the API answers this machine only.</summary>
    public bool OnLoopback => Host == "localhost" || (System.Net.IPAddress.TryParse(Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>The served deployments' weight settings, refused in one line when they make no sense.</summary>
    private static WeightSettings ServedWeights(string[] args, IConfigurationSection http)
    {
        var shadow = args.Contains("--shadow-outliers") || http.GetValue<bool>("ShadowOutliers");
        var threshold = http["Int8Threshold"] is { } t
            ? t.Trim().Equals("inf", StringComparison.OrdinalIgnoreCase) ? double.PositiveInfinity
            : double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)
            : WeightSettings.DefaultThreshold;
        var weights = new WeightSettings
        {
            Quantize = http["Quantize"] is { } q ? EnumText<Quantization>.Parse(q, "quantization") : shadow ? Quantization.Int8Static : Quantization.None,
            ShadowOutliers = shadow, Int8Threshold = threshold, MemoryWindow = http.GetValue<int?>("MemoryWindow") ?? 0,
        };
        weights.Validate();
        return weights;
    }

    /// <summary>Every value of a repeatable switch (the configuration's command line keeps only the last).</summary>
    private static IEnumerable<string> Values(string[] args, string name)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length) yield return args[++i];
            else if (args[i].StartsWith(name + "=", StringComparison.Ordinal)) yield return args[i][(name.Length + 1)..];
        }
    }

    public const string Help = """

        OpenAI-compatible HTTP API (off unless --http-port is given):
          --http-port N        serve /v1/models, /v1/completions, /v1/chat/completions, /health, /ready and /metrics on port N
          --http-host HOST     address to listen on: localhost (default), an IP, or 0.0.0.0 for every interface
          --api-key KEY        require "Authorization: Bearer KEY" on /v1/ (or OLM_Http__ApiKey); 401 without it
          --api-key-file PATH  keys from a file, one a line (blank lines and # comments skipped), each counted on its own
          --metrics-require-key  /metrics asks for a key too (by default it is open, as /health and /ready always are)
          --max-body-mb N      refuse request bodies over N MB with 413 (default 32)
          --max-concurrent-per-key N  generations at once per key (per client address without keys); beyond: 429 with
                               Retry-After (default 64; 0 for no limit)
          --headers-timeout S  seconds to send the request headers, 408 after (default 30)
          --body-timeout S     seconds after which a body must arrive at 240 bytes/s or more, 408 otherwise (default 5)
          --serve DIR          deploy this model folder at start, named after the folder (repeatable)
          --quantize int8      the served folders' linears as LLM.int8() (with --int8-threshold T, default 6; inf: no outliers)
          --shadow-outliers    the served folders as llm.npu's int8 with shadow outliers (implies --quantize int8-static)
          --memory-window N    the served folders' shards hold N half-layer blocks at once, streaming the rest
          (/health: 200 while the process answers; /ready: 200 with the served models, 503 while none is ready. Errors are
          OpenAI's {"error": {message, type, param, code}}, param naming the field at fault: 400, 401, 404, 405, 408, 413,
          429, 503; a prompt longer than the context can hold is refused before it is tokenized. Each refusal is logged.)
        """;
}
