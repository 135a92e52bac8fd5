using System.Diagnostics.Metrics;

namespace OrleansLlm.Grains.Telemetry;

/// <summary>
/// Our instruments, on the meter "OrleansLlm" (beside Orleans' own "Microsoft.Orleans"): requests by outcome, prompt
/// and generated tokens, time to first token and the time between tokens, per deployment. Silos record what their
/// request grains orchestrate; a scraper adds the silos up.
/// </summary>
public static class OlmMeter
{
    public const string Name = "OrleansLlm";

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Requests =
        Meter.CreateCounter<long>("olm.requests", "{request}", "Generations by outcome: stop, length, error, refused, cancelled");

    public static readonly Counter<long> PromptTokens = Meter.CreateCounter<long>("olm.prompt_tokens", "{token}", "Prompt tokens of generations");

    public static readonly Counter<long> GeneratedTokens = Meter.CreateCounter<long>("olm.generated_tokens", "{token}", "Tokens generated");

    public static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram("olm.time_to_first_token", "s",
        "From a request's arrival at its request grain to its first token", advice: Buckets([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]));

    public static readonly Histogram<double> InterTokenLatency = Meter.CreateHistogram("olm.inter_token_latency", "s",
        "Between consecutive tokens of a request", advice: Buckets([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]));

    private static InstrumentAdvice<double> Buckets(double[] bounds) => new() { HistogramBucketBoundaries = bounds };
}
