using OrleansLlm.Grains.Interfaces.Connection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansLlm.Grains.Hosting;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>The silo's console log: one line per event, no stack traces, Orleans' repeats counted instead of printed.</summary>
public sealed class OneLineLogTests
{
    private static string Write(OneLineConsoleFormatter f, string category, LogLevel level, string template, object arg, Exception? e = null)
    {
        var state = new FormattedState(template, arg);
        var entry = new LogEntry<FormattedState>(level, category, new EventId(1), state, e, (s, _) => s.ToString());
        using var writer = new StringWriter();
        f.Write(entry, null, writer);
        return writer.ToString();
    }

    [Fact]
    public void AnExceptionIsItsTypeAndFirstLineNeverItsTrace()
    {
        Exception thrown;
        try { throw new InvalidOperationException("outer", new TimeoutException("the real cause\nsecond line")); }
        catch (Exception e) { thrown = new AggregateException(e); }
        var line = Write(new OneLineConsoleFormatter(), "Orleans.X", LogLevel.Warning, "call {N} failed", 1, thrown);
        Assert.Single(line.TrimEnd().Split('\n'));
        Assert.EndsWith("warn Orleans.X: call 1 failed (InvalidOperationException: outer)", line.TrimEnd());
    }

    [Fact]
    public void OrleansRepeatsAreCountedOnTheNextLineOfTheirKindAndOursAlwaysPrint()
    {
        var f = new OneLineConsoleFormatter();
        Assert.NotEmpty(Write(f, "Orleans.Probe", LogLevel.Warning, "probe {N} missed", 1));
        Assert.Empty(Write(f, "Orleans.Probe", LogLevel.Warning, "probe {N} missed", 2));
        Assert.Empty(Write(f, "Orleans.Probe", LogLevel.Warning, "probe {N} missed", 3));
        Assert.NotEmpty(Write(f, "Orleans.Other", LogLevel.Warning, "probe {N} missed", 4));
        Assert.NotEmpty(Write(f, "OrleansLlm.Grains.Hosting.SiloDeathWatcher", LogLevel.Warning, "silo {S} is dead", "a"));
        Assert.Contains("SiloDeathWatcher: silo b is dead", Write(f, "OrleansLlm.Grains.Hosting.SiloDeathWatcher", LogLevel.Warning, "silo {S} is dead", "b"));
    }

    /// <summary>State shaped as LoggerMessage's: the values, then the template under "{OriginalFormat}".</summary>
    private sealed class FormattedState(string template, object arg) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _values = [new("N", arg), new("{OriginalFormat}", template)];
        public KeyValuePair<string, object?> this[int index] => _values[index];
        public int Count => _values.Length;
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => template[..template.IndexOf('{')] + arg + template[(template.IndexOf('}') + 1)..];
    }
}
