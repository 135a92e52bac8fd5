using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace OrleansLlm.Silo.Logging;

/// <summary>
/// One line per event: time, level, category, message, and an exception's type and message; its stack trace only when
/// the configured level is Debug or below. Drops Orleans' watchdog false alarm at start (see <see cref="IsStartupFalseAlarm"/>).
/// </summary>
public sealed class OneLineFormatter(IOptionsMonitor<OneLineFormatterOptions> options) : ConsoleFormatter(Name)
{
    public new const string Name = "olm-one-line";

    private static readonly DateTime ProcessStart = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();

    public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopes, TextWriter output)
    {
        if (IsStartupFalseAlarm(entry.Category, entry.State)) return;
        var message = entry.Formatter(entry.State, entry.Exception).ReplaceLineEndings(" ");
        var category = entry.Category[(entry.Category.LastIndexOf('.') + 1)..];
        output.Write($"{DateTime.Now:HH:mm:ss} {Level(entry.LogLevel)} {category}: {message}");
        if (entry.Exception is { } e)
        {
            if (options.CurrentValue.StackTraces) output.Write($"{Environment.NewLine}{e}");
            else output.Write($" ({e.GetType().Name}: {e.Message.Split('\n', 2)[0].Trim()})");
        }
        output.WriteLine();
    }

    /// <summary>
    /// Orleans 10.4's watchdog compares its first component check with timestamp zero, so at start it reports the
    /// machine's uptime as a stall "potentially indicating ... deadlock". A stall longer than this process has lived is
    /// that artefact; a real one (shorter) still shows.
    /// </summary>
    private static bool IsStartupFalseAlarm<TState>(string category, TState state) =>
        category == "Orleans.Runtime.Watchdog" && state is IReadOnlyList<KeyValuePair<string, object?>> fields
        && fields.Any(f => f.Value is TimeSpan stall && stall > DateTime.UtcNow - ProcessStart);

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info ",
        LogLevel.Warning => "warn ",
        LogLevel.Error => "error",
        _ => "crit ",
    };
}

public sealed class OneLineFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Write exceptions' stack traces (on when the log level is Debug or Trace).</summary>
    public bool StackTraces { get; set; }
}

public static class OneLineLogging
{
    /// <summary>Console logging, one line per event; stack traces when <paramref name="stackTraces"/>.</summary>
    public static ILoggingBuilder AddOneLineConsole(this ILoggingBuilder logging, bool stackTraces) =>
        logging.AddConsole(o => o.FormatterName = OneLineFormatter.Name)
            .AddConsoleFormatter<OneLineFormatter, OneLineFormatterOptions>(o => o.StackTraces = stackTraces);

    /// <summary>Whether the configuration's default log level is Debug or Trace.</summary>
    public static bool Verbose(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        Enum.TryParse<LogLevel>(configuration["Logging:LogLevel:Default"], ignoreCase: true, out var level) && level <= LogLevel.Debug;
}
