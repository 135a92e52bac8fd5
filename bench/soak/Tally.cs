using System.Collections.Concurrent;

namespace OrleansLlm.Soak;

/// <summary>How a request ended, as the soak counts it.</summary>
internal enum Verdict
{
    /// <summary>Served, with the text of the undisturbed run.</summary>
    Served,
    /// <summary>A client mistake answered as the API must answer it.</summary>
    Refused,
    /// <summary>A stream the client abandoned on purpose.</summary>
    Abandoned,
    /// <summary>Lost while a silo was down and its deployment recovering: expected, counted apart.</summary>
    LostToTheKill,
    /// <summary>Anything else: a 5xx, a wrong status, a text unlike the undisturbed run's, a broken stream.</summary>
    Failed,
}

internal sealed record Outcome(string Kind, Verdict Verdict, string? Why, double StartS, double EndS, double LatencyMs);

/// <summary>Every request's outcome, and the figures the report makes of them.</summary>
internal sealed class Tally
{
    private readonly ConcurrentQueue<Outcome> _outcomes = new();

    public void Add(Outcome o) => _outcomes.Enqueue(o);

    public IReadOnlyList<Outcome> All => _outcomes.ToArray();

    public int Count(Verdict v) => _outcomes.Count(o => o.Verdict == v);

    /// <summary>Failures by reason, most frequent first.</summary>
    public Dictionary<string, int> Reasons(Verdict v) =>
        _outcomes.Where(o => o.Verdict == v).GroupBy(o => o.Why ?? "?").OrderByDescending(g => g.Count()).Take(20)
            .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>p50 and p99 (ms) of served requests of a kind that started in [from, to).</summary>
    public object Latency(string kind, double from, double to)
    {
        var ms = _outcomes.Where(o => o.Verdict == Verdict.Served && o.Kind == kind && o.StartS >= from && o.StartS < to)
            .Select(o => o.LatencyMs).Order().ToArray();
        return new { requests = ms.Length, p50_ms = Percentile(ms, 0.50), p99_ms = Percentile(ms, 0.99) };
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)], 1);
}
