namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// Finds added tokens in text, leftmost first and longest at a position (HF's leftmost-longest match),
/// and cuts the text into token spans and the plain spans between them.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>Spans covering <paramref name="text"/> in order, lazily; Token is null for plain text.</summary>
    public IEnumerable<(int Start, int End, AddedToken? Token)> Split(string text)
    {
        var plainStart = 0;
        for (var i = 0; i < text.Length;)
        {
            var token = MatchAt(text, i);
            if (token is null) { i++; continue; }
            var (start, end) = (i, i + token.Content.Length);
            if (token.LStrip) while (start > plainStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > plainStart) yield return (plainStart, start, null);
            yield return (start, end, token);
            plainStart = i = end;
        }
        if (plainStart < text.Length) yield return (plainStart, text.Length, null);
    }

    private AddedToken? MatchAt(string text, int i)
    {
        if (_byFirstChar.Count == 0 || !_byFirstChar.TryGetValue(text[i], out var candidates)) return null;
        foreach (var t in candidates)
        {
            if (string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) != 0) continue;
            if (t.SingleWord && !IsWholeWord(text, i, i + t.Content.Length)) continue;
            return t;
        }
        return null;
    }

    private static bool IsWholeWord(string text, int start, int end) =>
        (start == 0 || !IsWordChar(text[start - 1])) && (end == text.Length || !IsWordChar(text[end]));

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
