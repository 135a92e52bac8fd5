using System.Text.Json;

namespace OrleansLlm.Soak;

/// <summary>What the soak measured, the checks it makes of it, and the JSON it writes.</summary>
internal sealed class SoakReport(SoakOptions options, int silos)
{
    private Tally _tally = new();

    public long[] MemoryAtStart { get; } = new long[silos];
    public long[] MemoryAtEnd { get; } = new long[silos];
    public int Victim { get; set; } = -1;
    public double KilledAtS { get; set; }
    public double RecoveredAtS { get; set; }
    public double RestartedAtS { get; set; }
    public double ReadyAgainAtS { get; set; }
    public double EndS { get; set; }
    public int KvBlocksLeft { get; set; }
    public int RequestsLeft { get; set; }

    public void Take(Tally tally) => _tally = tally;

    /// <summary>Each silo's last warnings and errors, for a soak that failed to say where to look.</summary>
    public string[][] LogTails { get; set; } = [];

    private static double MiB(long bytes) => Math.Round(bytes / 1048576.0, 1);

    /// <summary>The checks that failed; none when the soak passed.</summary>
    public List<string> Failures()
    {
        var failures = new List<string>();
        if (_tally.Count(Verdict.Failed) > 0) failures.Add($"{_tally.Count(Verdict.Failed)} requests failed outside the kill");
        if (KvBlocksLeft != 0 || RequestsLeft != 0) failures.Add($"{KvBlocksLeft} KV blocks and {RequestsLeft} requests left on the shards after the load");
        if (Victim < 0 || ReadyAgainAtS == 0) failures.Add("the kill and restart did not happen within the run");
        if (Served(0, KilledAtS) == 0) failures.Add("nothing served before the kill");
        if (Served(ReadyAgainAtS, EndS + 1) == 0) failures.Add("nothing served after the restart");
        for (var i = 0; i < silos; i++)
            if (i != Victim && MiB(MemoryAtEnd[i] - MemoryAtStart[i]) > options.MaxGrowthMiB)
                failures.Add($"silo {i} grew {MiB(MemoryAtEnd[i] - MemoryAtStart[i])} MiB (limit {options.MaxGrowthMiB})");
        return failures;
    }

    public bool Passed => Failures().Count == 0;

    private int Served(double from, double to) => _tally.All.Count(o => o.Verdict == Verdict.Served && o.StartS >= from && o.StartS < to);

    public string Json() => JsonSerializer.Serialize(new
    {
        duration_s = Math.Round(EndS, 1), clients = options.Clients, silos,
        requests = new
        {
            total = _tally.All.Count, served = _tally.Count(Verdict.Served), refused_as_they_should_be = _tally.Count(Verdict.Refused),
            abandoned_by_the_client = _tally.Count(Verdict.Abandoned), lost_to_the_kill = _tally.Count(Verdict.LostToTheKill),
            failed = _tally.Count(Verdict.Failed),
        },
        failed_why = _tally.Reasons(Verdict.Failed), lost_to_the_kill_why = _tally.Reasons(Verdict.LostToTheKill),
        first_failures = _tally.All.Where(o => o.Verdict == Verdict.Failed).OrderBy(o => o.StartS).Take(10)
            .Select(o => new { o.Why, start_s = Round(o.StartS), end_s = Round(o.EndS) }),
        refused_kinds = _tally.Reasons(Verdict.Refused),
        kill = new
        {
            silo = Victim, killed_at_s = Round(KilledAtS), recovered_at_s = Round(RecoveredAtS),
            restarted_at_s = Round(RestartedAtS), ready_again_at_s = Round(ReadyAgainAtS),
        },
        latency_before_kill = Latencies(0, KilledAtS), latency_after_restart = Latencies(ReadyAgainAtS, EndS + 1),
        memory_mib = Enumerable.Range(0, silos).Select(i => new
        {
            silo = i, restarted = i == Victim, at_start = MiB(MemoryAtStart[i]), at_end = MiB(MemoryAtEnd[i]),
            growth = MiB(MemoryAtEnd[i] - MemoryAtStart[i]),
        }),
        kv_blocks_left = KvBlocksLeft, requests_left = RequestsLeft,
        passed = Passed, checks_failed = Failures(),
        silo_log_tails = Passed ? null : LogTails,
    }, new JsonSerializerOptions { WriteIndented = true });

    private object Latencies(double from, double to) => new
    {
        completion = _tally.Latency("completion", from, to), chat = _tally.Latency("chat", from, to),
        completion_stream_first_token = _tally.Latency("completion stream", from, to),
        chat_stream_first_token = _tally.Latency("chat stream", from, to),
    };

    private static double Round(double s) => Math.Round(s, 1);
}
