namespace OrleansLlm.Engine.Generation;

/// <summary>
/// Finds stop strings in streamed output text. Text that could still turn out to be the start of a stop string is
/// held back, so a stop string is never partly emitted. The matcher stops at the stop string that completes first
/// in the text (the earliest end; of those, the earliest start), which makes the emitted text the same however the
/// stream is split into pieces. Not thread-safe: one matcher per sequence.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly int _longestStop;
    private string _held = "";

    /// <summary>Creates a matcher; empty stop strings are ignored, since they would match before any text.</summary>
    public StopStringMatcher(IEnumerable<string>? stopStrings)
    {
        _stops = (stopStrings ?? []).Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
        _longestStop = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
    }

    /// <summary>True once a stop string has completed; later pushes emit nothing.</summary>
    public bool IsStopped => MatchedStopString is not null;

    /// <summary>The stop string that ended the stream, or null while none has.</summary>
    public string? MatchedStopString { get; private set; }

    /// <summary>
    /// Takes the next piece of output text and returns what is safe to emit now. When a stop string completes,
    /// returns the text before it and sets <paramref name="stopped"/>; the stop string itself is never emitted.
    /// </summary>
    public string Push(string piece, out bool stopped)
    {
        ArgumentNullException.ThrowIfNull(piece);
        stopped = IsStopped;
        if (stopped)
        {
            return "";
        }

        if (_stops.Length == 0)
        {
            return piece;
        }

        var text = _held + piece;
        var (start, stop) = FirstCompleted(text);
        if (stop is not null)
        {
            MatchedStopString = stop;
            _held = "";
            stopped = true;
            return text[..start];
        }

        var hold = LongestPartialSuffix(text);
        _held = text[^hold..];
        return text[..^hold];
    }

    /// <summary>The held-back text, for the end of the stream; empty after a stop.</summary>
    public string Flush()
    {
        var rest = _held;
        _held = "";
        return rest;
    }

    /// <summary>The start and the stop string of the occurrence that ends first, or (-1, null).</summary>
    private (int Start, string? Stop) FirstCompleted(string text)
    {
        var bestStart = -1;
        var bestEnd = int.MaxValue;
        string? best = null;
        foreach (var stop in _stops)
        {
            var start = text.IndexOf(stop, StringComparison.Ordinal);
            if (start < 0)
            {
                continue;
            }

            var end = start + stop.Length;
            if (end < bestEnd || (end == bestEnd && start < bestStart))
            {
                (bestStart, bestEnd, best) = (start, end, stop);
            }
        }

        return (bestStart, best);
    }

    /// <summary>Length of the longest suffix of the text that is a proper prefix of some stop string.</summary>
    private int LongestPartialSuffix(string text)
    {
        for (var length = Math.Min(text.Length, _longestStop - 1); length > 0; length--)
        {
            var suffix = text.AsSpan(text.Length - length);
            foreach (var stop in _stops)
            {
                if (stop.Length > length && stop.AsSpan().StartsWith(suffix, StringComparison.Ordinal))
                {
                    return length;
                }
            }
        }

        return 0;
    }
}
