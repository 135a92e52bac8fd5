using Microsoft.Extensions.Configuration;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// The HTTP API's settings: from the section "Http" of appsettings.json, OLM_Http__Name variables, or the command line
/// (<c>--http-port</c>, <c>--http-host</c>, <c>--api-key</c>, <c>--api-key-file</c>, and <c>--serve DIR</c>, repeatable).
/// </summary>
public sealed class FrontDoorSettings
{
    /// <summary>Port of the HTTP API; 0 leaves it off.</summary>
    public int Port { get; init; }
    /// <summary>Address it listens on: localhost (loopback only), an IP address, or 0.0.0.0 for every interface.</summary>
    public string Host { get; init; } = "localhost";
    /// <summary>The key clients must send as <c>Authorization: Bearer KEY</c>; null lets anyone in.</summary>
    public string? ApiKey { get; init; }
    /// <summary>Model folders deployed at start, each under its folder's name.</summary>
    public IReadOnlyList<string> Serve { get; init; } = [];
    /// <summary>How the <see cref="Serve"/> deployments hold their weights (int8, shadow outliers, a weight window).</summary>
    public WeightSettings Weights { get; init; } = new();

    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--http-port"] = "Http:Port", ["--http-host"] = "Http:Host", ["--api-key"] = "Http:ApiKey", ["--api-key-file"] = "Http:ApiKeyFile",
        ["--quantize"] = "Http:Quantize", ["--int8-threshold"] = "Http:Int8Threshold", ["--memory-window"] = "Http:MemoryWindow",
    };

    public static FrontDoorSettings Load(string[] args, IConfiguration configuration)
    {
        var http = new ConfigurationBuilder().AddConfiguration(configuration).AddCommandLine(args, Switches).Build().GetSection("Http");
        var port = http.GetValue<int?>("Port") ?? 0;
        if (port is < 0 or > 65535) throw new ArgumentException($"--http-port must be a port number, got {port}");
        var serve = http.GetSection("Serve").GetChildren().Select(c => c.Value!).Concat(Values(args, "--serve")).ToList();
        foreach (var dir in serve)
            if (!Directory.Exists(dir)) throw new ArgumentException($"--serve {dir}: no such folder");
        if (serve.Count > 0 && port == 0) throw new ArgumentException("--serve needs --http-port: served models are reached over HTTP");
        return new FrontDoorSettings { Port = port, Host = http["Host"] ?? "localhost", ApiKey = Key(http), Serve = serve, Weights = ServedWeights(args, http) };
    }

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

    private static string? Key(IConfigurationSection http)
    {
        var key = http["ApiKey"];
        if (http["ApiKeyFile"] is { } file)
            key = File.Exists(file) ? File.ReadLines(file).FirstOrDefault()?.Trim() : throw new ArgumentException($"--api-key-file {file}: no such file");
        if (key is not null && string.IsNullOrWhiteSpace(key)) throw new ArgumentException("the API key is empty");
        return key;
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
          --http-port N        serve /v1/models, /v1/completions, /v1/chat/completions, /health and /metrics on port N
          --http-host HOST     address to listen on: localhost (default), an IP, or 0.0.0.0 for every interface
          --api-key KEY        require "Authorization: Bearer KEY" on /v1/ (or OLM_Http__ApiKey)
          --api-key-file PATH  read the key from the first line of a file
          --serve DIR          deploy this model folder at start, named after the folder (repeatable)
          --quantize int8      the served folders' linears as LLM.int8() (with --int8-threshold T, default 6; inf: no outliers)
          --shadow-outliers    the served folders as llm.npu's int8 with shadow outliers (implies --quantize int8-static)
          --memory-window N    the served folders' shards hold N half-layer blocks at once, streaming the rest
        """;
}
