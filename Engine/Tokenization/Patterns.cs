using System.Text.RegularExpressions;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>Regex compilation and HF's split-with-behaviour over match spans.</summary>
internal static class Patterns
{
    public static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new TokenizerException($"tokenizer.json pattern /{pattern}/ is not a valid .NET regex: {e.Message}");
        }
    }

    /// <summary>
    /// Cuts <paramref name="text"/> at the matches of <paramref name="regex"/>, returning non-empty
    /// (start, end) spans; <paramref name="behavior"/> says where matched text goes, like HF's SplitDelimiterBehavior.
    /// The spans come lazily, so a caller that stops early (a token limit) does not split the rest of a long text.
    /// </summary>
    public static IEnumerable<(int Start, int End)> Split(string text, Regex regex, string behavior, bool invert)
    {
        var spans = Spans(text, regex, invert);
        var applied = behavior switch
        {
            "Isolated" => spans.Select(s => (s.Start, s.End)),
            "Removed" => spans.Where(s => !s.IsMatch).Select(s => (s.Start, s.End)),
            "MergedWithPrevious" => MergeWithPrevious(spans),
            "MergedWithNext" => MergeWithNext(spans),
            "Contiguous" => MergeRuns(spans),
            _ => throw UnsupportedBehavior(behavior),
        };
        return applied.Where(s => s.End > s.Start);
    }

    public static void CheckBehavior(string behavior)
    {
        if (behavior is not ("Isolated" or "Removed" or "MergedWithPrevious" or "MergedWithNext" or "Contiguous"))
            throw UnsupportedBehavior(behavior);
    }

    private static TokenizerException UnsupportedBehavior(string behavior) =>
        JsonRead.Unsupported("split behavior", behavior, "Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous");

    private static IEnumerable<(int Start, int End, bool IsMatch)> Spans(string text, Regex regex, bool invert)
    {
        var last = 0;
        for (var m = regex.Match(text); m.Success; m = m.NextMatch())
        {
            if (m.Length == 0) continue;
            if (m.Index > last) yield return (last, m.Index, invert);
            yield return (m.Index, m.Index + m.Length, !invert);
            last = m.Index + m.Length;
        }
        if (last < text.Length) yield return (last, text.Length, invert);
    }

    /// <summary>A match joins the span before it, unless that span was a match too.</summary>
    private static IEnumerable<(int Start, int End)> MergeWithPrevious(IEnumerable<(int Start, int End, bool IsMatch)> spans)
    {
        (int Start, int End)? pending = null;
        var previousMatch = false;
        foreach (var s in spans)
        {
            if (s.IsMatch && !previousMatch && pending is { } p) pending = (p.Start, s.End);
            else
            {
                if (pending is { } done) yield return done;
                pending = (s.Start, s.End);
            }
            previousMatch = s.IsMatch;
        }
        if (pending is { } last) yield return last;
    }

    /// <summary>A match joins the span after it, unless that span is a match too: a match waits to see what follows.</summary>
    private static IEnumerable<(int Start, int End)> MergeWithNext(IEnumerable<(int Start, int End, bool IsMatch)> spans)
    {
        (int Start, int End)? heldMatch = null;
        foreach (var s in spans)
        {
            if (heldMatch is { } h)
            {
                heldMatch = null;
                if (!s.IsMatch)
                {
                    yield return (h.Start, s.End);
                    continue;
                }
                yield return h;
            }
            if (s.IsMatch) heldMatch = (s.Start, s.End);
            else yield return (s.Start, s.End);
        }
        if (heldMatch is { } last) yield return last;
    }

    /// <summary>Neighbouring spans of the same kind (match or not) become one.</summary>
    private static IEnumerable<(int Start, int End)> MergeRuns(IEnumerable<(int Start, int End, bool IsMatch)> spans)
    {
        (int Start, int End)? pending = null;
        var previousMatch = false;
        foreach (var s in spans)
        {
            if (s.IsMatch == previousMatch && pending is { } p) pending = (p.Start, s.End);
            else
            {
                if (pending is { } done) yield return done;
                pending = (s.Start, s.End);
            }
            previousMatch = s.IsMatch;
        }
        if (pending is { } last) yield return last;
    }
}
