namespace OrleansLlm.Soak;

/// <summary>The soak's settings, from its command line.</summary>
internal sealed record SoakOptions
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(30);
    public int Clients { get; init; } = 6;
    public int Silos { get; init; } = 2;
    public string SiloDll { get; init; } = "";
    public string Model { get; init; } = "";
    public string? Output { get; init; }
    /// <summary>How much a silo's resident memory may grow over the run before the soak fails.</summary>
    public double MaxGrowthMiB { get; init; } = 400;
    /// <summary>Extra arguments for every silo.</summary>
    public string[] SiloArgs { get; init; } = [];

    public const string Help = """
        soak: a long mixed load on a cluster of silo processes, with a silo killed and restarted midway.

        Usage: bench/soak/run.sh [options]    (or dotnet run --project bench/soak -- [options])
          --minutes M        how long the load runs (default 30)
          --clients N        concurrent clients (default 6)
          --silo PATH        the built Silo.dll (default: Silo/bin/Release or Debug beside this repository's bench/)
          --model DIR        the model the silos serve (default: models/stories260K)
          --max-growth-mb M  a silo's memory may grow at most this much from the load's start to its end (default 400)
          --out FILE         write the report (JSON) there too
        Needs redis-server (membership lives there, so either silo may die). Exit code 0 when every check passed.
        """;

    public static SoakOptions Parse(string[] args, string repository)
    {
        var o = new SoakOptions
        {
            SiloDll = Existing(Path.Combine(repository, "Silo", "bin", "Release", "net10.0", "Silo.dll"))
                      ?? Path.Combine(repository, "Silo", "bin", "Debug", "net10.0", "Silo.dll"),
            Model = Path.Combine(repository, "models", "stories260K"),
        };
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--minutes" => o with { Duration = TimeSpan.FromMinutes(Positive(Value(), "--minutes")) },
                "--clients" => o with { Clients = (int)Positive(Value(), "--clients") },
                "--silo" => o with { SiloDll = Value() },
                "--model" => o with { Model = Value() },
                "--max-growth-mb" => o with { MaxGrowthMiB = Positive(Value(), "--max-growth-mb") },
                "--out" => o with { Output = Value() },
                _ => throw new ArgumentException($"unknown option {args[i]} (--help lists them)"),
            };
        }
        if (!File.Exists(o.SiloDll)) throw new ArgumentException($"no Silo.dll at {o.SiloDll}: build it (dotnet build -c Release Silo) or give --silo");
        if (!Directory.Exists(o.Model)) throw new ArgumentException($"no model folder {o.Model}");
        return o;
    }

    private static string? Existing(string path) => File.Exists(path) ? path : null;

    private static double Positive(string text, string option) =>
        double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 ? v
            : throw new ArgumentException($"{option} must be a number above 0, got '{text}'");
}
