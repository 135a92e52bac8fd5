using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// A silo's console log as one line per event: time, level, category, the message's first line and the exception's
/// type and first line, never a stack trace. Orleans' warnings and errors repeat (a probe of a dead silo every second,
/// with a new count each time): one from the same message template within half a minute is counted, not printed, and
/// the count rides on its next appearance, so a dead peer costs a line per 30 s per kind, not 750 KB a minute. Our own
/// messages are one per event already and always print.
/// </summary>
public sealed partial class OneLineConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "olm-line";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTime Last, int Repeats)> _recent = [];

    public static void UseFor(ILoggingBuilder logging) =>
        logging.AddConsole(o => o.FormatterName = FormatterName).AddConsoleFormatter<OneLineConsoleFormatter, ConsoleFormatterOptions>();

    public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopeProvider, TextWriter writer)
    {
        var message = FirstLine(entry.Formatter?.Invoke(entry.State, entry.Exception) ?? entry.State?.ToString() ?? "");
        if (entry.Exception is { } e) message += $" ({Innermost(e).GetType().Name}: {FirstLine(Innermost(e).Message)})";
        var category = entry.Category.StartsWith("OrleansLlm.", StringComparison.Ordinal)
            ? entry.Category[(entry.Category.LastIndexOf('.') + 1)..] : GenericArguments().Replace(entry.Category, "");
        var repeats = 0;
        if (entry.LogLevel >= LogLevel.Warning && !entry.Category.StartsWith("OrleansLlm.", StringComparison.Ordinal)
            && Repeated($"{entry.Category}|{Template(entry.State) ?? message}|{entry.Exception?.GetType()}", out repeats)) return;
        var suffix = repeats > 0 ? $" [{repeats} more like it in the last {Window.TotalSeconds:F0} s]" : "";
        writer.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {Level(entry.LogLevel)} {category}: {message}{suffix}");
    }

    private static string? Template<TState>(TState state) =>
        state is IReadOnlyList<KeyValuePair<string, object?>> values
            ? values.FirstOrDefault(v => v.Key == "{OriginalFormat}").Value as string : null;

    /// <summary>True when the same kind of line was printed within the window (it is then counted); else the count so far.</summary>
    private bool Repeated(string line, out int repeats)
    {
        var now = DateTime.UtcNow;
        lock (_lock)
        {
            if (_recent.TryGetValue(line, out var seen) && now - seen.Last < Window)
            {
                _recent[line] = (seen.Last, seen.Repeats + 1);
                repeats = 0;
                return true;
            }
            repeats = seen.Repeats;
            if (_recent.Count > 1000) _recent.Clear();
            _recent[line] = (now, 0);
            return false;
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null && (e is AggregateException || e.Message.Contains("See inner exception", StringComparison.OrdinalIgnoreCase)))
            e = e.InnerException;
        return e;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"`\d+\[\[.*\]\]")]
    private static partial System.Text.RegularExpressions.Regex GenericArguments();

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce", LogLevel.Debug => "dbug", LogLevel.Information => "info",
        LogLevel.Warning => "warn", LogLevel.Error => "fail", _ => "crit",
    };
}
