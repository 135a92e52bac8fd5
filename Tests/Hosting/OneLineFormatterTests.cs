using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansLlm.Silo.Logging;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>The silo's log lines: one per event, stack traces only when asked, no watchdog false alarm at start.</summary>
public class OneLineFormatterTests
{
    private static string Format(string category, LogLevel level, IReadOnlyList<KeyValuePair<string, object?>> state, Exception? e = null,
        bool stackTraces = false)
    {
        var formatter = new OneLineFormatter(new Monitor(new OneLineFormatterOptions { StackTraces = stackTraces }));
        var output = new StringWriter();
        formatter.Write(new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(level, category, default, state, e,
            (s, _) => string.Join(" ", s.Select(kv => $"{kv.Key}={kv.Value}"))), null, output);
        return output.ToString();
    }

    private static KeyValuePair<string, object?>[] Stall(TimeSpan t) => [new("TimeSinceLastTick", t)];

    [Fact]
    public void TheWatchdogsStallLongerThanTheProcessIsDroppedAndARealOneShown()
    {
        Assert.Equal("", Format("Orleans.Runtime.Watchdog", LogLevel.Warning, Stall(TimeSpan.FromDays(3))));
        Assert.Contains("TimeSinceLastTick=00:00:00.0200000", Format("Orleans.Runtime.Watchdog", LogLevel.Warning, Stall(TimeSpan.FromMilliseconds(20))));
    }

    [Fact]
    public void AnEventIsOneLineAndItsExceptionItsTypeAndMessage()
    {
        Exception error;
        try { throw new InvalidOperationException("first line\nsecond line"); }
        catch (Exception e) { error = e; }
        var line = Format("Orleans.Runtime.Silo", LogLevel.Warning, [new("Text", "multi\nline")], error);
        Assert.Single(line.TrimEnd().Split('\n'));
        Assert.Contains("warn  Silo: Text=multi line (InvalidOperationException: first line)", line);
        Assert.Contains("at OrleansLlm.Tests", Format("Silo", LogLevel.Warning, [], error, stackTraces: true));
    }

    private sealed class Monitor(OneLineFormatterOptions value) : IOptionsMonitor<OneLineFormatterOptions>
    {
        public OneLineFormatterOptions CurrentValue => value;
        public OneLineFormatterOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<OneLineFormatterOptions, string?> listener) => null;
    }
}
