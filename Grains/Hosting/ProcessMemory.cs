namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// This process's resident memory (VmRSS) and its peak (VmHWM) as Linux reports them, 0 elsewhere. The peak can be
/// started again (writing 5 to clear_refs), so a benchmark measures each configuration apart.
/// </summary>
public static class ProcessMemory
{
    private const string Status = "/proc/self/status";

    public static (long Rss, long Peak) Read()
    {
        if (!File.Exists(Status)) return (0, 0);
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines(Status))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kib(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kib(line);
        }
        return (rss, peak);
    }

    public static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // not Linux, or not allowed: the peak stays since start
    }

    // "VmHWM:	  123456 kB"
    private static long Kib(string line) =>
        long.TryParse(line.Split(':', 2)[1].Trim().Split(' ')[0], out var kib) ? kib * 1024 : 0;
}
