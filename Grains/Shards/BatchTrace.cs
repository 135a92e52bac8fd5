using System.Diagnostics;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Where a batch's time went, one line per batch, written when OLM_TRACE names a file (benchmarks on the GPU machine):
/// when the entry formed it, its rows (decode steps and prefill tokens), the stage's compute, and when its tokens were
/// handed out, in ms since the process's first batch. Off (and free) otherwise.
/// </summary>
internal static class BatchTrace
{
    private static readonly StreamWriter? Writer = Open();
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static readonly Lock Gate = new();

    public static bool On => Writer is not null;
    public static double Now => Clock.Elapsed.TotalMilliseconds;

    private static StreamWriter? Open()
    {
        if (OrleansLlm.Switches.OlmSwitches.Trace.Value is not { } path) return null;
        var w = new StreamWriter(path, append: true) { AutoFlush = false };
        w.WriteLine("batch\tformed_ms\tdone_ms\trows\tdecodes\tchunks\tcompute_ms\tallreduce_ms");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { lock (Gate) w.Flush(); };
        return w;
    }

    public static void Batch(long id, double formed, int rows, int decodes, int chunks, StepTimings timings)
    {
        if (Writer is null) return;
        lock (Gate)
            Writer.WriteLine($"{id}\t{formed:F3}\t{Now:F3}\t{rows}\t{decodes}\t{chunks}\t{timings.ComputeMs:F3}\t{timings.AllReduceWaitMs:F3}");
    }
}
