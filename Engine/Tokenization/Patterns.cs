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
    /// </summary>
    public static List<(int Start, int End)> Split(string text, Regex regex, string behavior, bool invert)
    {
        var spans = new List<(int Start, int End, bool IsMatch)>();
        var last = 0;
        for (var m = regex.Match(text); m.Success; m = m.NextMatch())
        {
            if (m.Length == 0) continue;
            if (m.Index > last) spans.Add((last, m.Index, invert));
            spans.Add((m.Index, m.Index + m.Length, !invert));
            last = m.Index + m.Length;
        }
        if (last < text.Length) spans.Add((last, text.Length, invert));
        return Apply(spans, behavior).Where(s => s.End > s.Start).ToList();
    }

    private static List<(int Start, int End)> Apply(List<(int Start, int End, bool IsMatch)> spans, string behavior) =>
        behavior switch
        {
            "Isolated" => spans.Select(s => (s.Start, s.End)).ToList(),
            "Removed" => spans.Where(s => !s.IsMatch).Select(s => (s.Start, s.End)).ToList(),
            "MergedWithPrevious" => MergeWithPrevious(spans),
            "MergedWithNext" => MergeWithNext(spans),
            "Contiguous" => MergeRuns(spans),
            _ => throw JsonRead.Unsupported("split behavior", behavior,
                "Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous"),
        };

    private static List<(int Start, int End)> MergeWithPrevious(List<(int Start, int End, bool IsMatch)> spans)
    {
        var result = new List<(int Start, int End)>();
        var previousMatch = false;
        foreach (var s in spans)
        {
            if (s.IsMatch && !previousMatch && result.Count > 0) result[^1] = (result[^1].Start, s.End);
            else result.Add((s.Start, s.End));
            previousMatch = s.IsMatch;
        }
        return result;
    }

    private static List<(int Start, int End)> MergeWithNext(List<(int Start, int End, bool IsMatch)> spans)
    {
        var result = new List<(int Start, int End)>();
        var previousMatch = false;
        for (var i = spans.Count - 1; i >= 0; i--)
        {
            var s = spans[i];
            if (s.IsMatch && !previousMatch && result.Count > 0) result[^1] = (s.Start, result[^1].End);
            else result.Add((s.Start, s.End));
            previousMatch = s.IsMatch;
        }
        result.Reverse();
        return result;
    }

    private static List<(int Start, int End)> MergeRuns(List<(int Start, int End, bool IsMatch)> spans)
    {
        var result = new List<(int Start, int End)>();
        var previousMatch = false;
        foreach (var s in spans)
        {
            if (s.IsMatch == previousMatch && result.Count > 0) result[^1] = (result[^1].Start, s.End);
            else result.Add((s.Start, s.End));
            previousMatch = s.IsMatch;
        }
        return result;
    }
}
