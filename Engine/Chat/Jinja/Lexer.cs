namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Splits a template into tokens as jinja2's lexer does under transformers' settings: trim_blocks (the newline after a
/// block or comment tag goes), lstrip_blocks (blanks before a block or comment tag that starts its line go),
/// keep_trailing_newline off, <c>-</c>/<c>+</c> whitespace control, <c>{% raw %}</c>, newlines read as \n. The rules
/// follow jinja2's regular expressions position by position, so the same text is kept and dropped.
/// </summary>
internal sealed partial class Lexer
{
    private readonly string _src;
    private readonly List<Token> _tokens = [];
    private readonly Stack<char> _closers = new();
    private int _pos;
    private int _line = 1;
    private bool _lineStarting = true;

    private Lexer(string source) => _src = source;

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(Normalize(source));
        lexer.Run();
        lexer._tokens.Add(new Token(TokenKind.Eof, "", null, lexer._line));
        return lexer._tokens;
    }

    /// <summary>jinja2 reads \r\n and \r as \n and drops one trailing newline (keep_trailing_newline=False).</summary>
    private static string Normalize(string source)
    {
        var s = source.Contains('\r') ? source.Replace("\r\n", "\n").Replace('\r', '\n') : source;
        return s.EndsWith('\n') ? s[..^1] : s;
    }

    /// <summary>Python's whitespace (str.isspace, regex \s), which also counts the separator controls \x1c-\x1f.</summary>
    internal static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    private void Run()
    {
        while (_pos < _src.Length)
        {
            var tag = NextTag(_pos);
            if (tag < 0)
            {
                AddData(_src[_pos..]);
                MoveTo(_src.Length);
                return;
            }
            var opener = _src[tag + 1];
            var sign = tag + 2 < _src.Length && _src[tag + 2] is '-' or '+' ? _src[tag + 2] : '\0';
            AddData(StripBefore(_src[_pos..tag], sign, opener != '{'));
            MoveTo(tag);
            var inside = tag + 2 + (sign == '\0' ? 0 : 1);
            if (opener == '#') Comment(inside);
            else if (opener == '%' && RawBeginEnd(inside) is var rawStart and >= 0) Raw(rawStart);
            else Tag(opener == '{', inside);
        }
    }

    private int NextTag(int from)
    {
        for (var i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
            if (_src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>The text before a tag: <c>-</c> strips all blanks; otherwise lstrip_blocks strips a block's indent.</summary>
    private string StripBefore(string text, char sign, bool blockOrComment)
    {
        if (sign == '-') return TrimEndSpace(text);
        if (sign == '+' || !blockOrComment) return text;
        var lineStart = text.LastIndexOf('\n') + 1;
        if ((lineStart > 0 || _lineStarting) && lineStart < text.Length && AllSpace(text, lineStart)) return text[..lineStart];
        return text;
    }

    private static string TrimEndSpace(string text)
    {
        var end = text.Length;
        while (end > 0 && IsSpace(text[end - 1])) end--;
        return text[..end];
    }

    private static bool AllSpace(string text, int from)
    {
        for (var i = from; i < text.Length; i++)
            if (!IsSpace(text[i])) return false;
        return true;
    }

    private void AddData(string text)
    {
        if (text.Length > 0) _tokens.Add(new Token(TokenKind.Data, text, text, _line));
    }

    private void MoveTo(int pos)
    {
        for (var i = _pos; i < pos; i++)
            if (_src[i] == '\n') _line++;
        _pos = pos;
    }

    /// <summary>After a closing tag: the next tag starts a line when what the closing took ends with a newline.</summary>
    private void CloseAt(int end)
    {
        MoveTo(end);
        _lineStarting = end > 0 && _src[end - 1] == '\n';
    }

    private int SkipSpace(int p)
    {
        while (p < _src.Length && IsSpace(_src[p])) p++;
        return p;
    }

    private bool At(int p, string s) => string.CompareOrdinal(_src, p, s, 0, s.Length) == 0;

    /// <summary>The end of a closing <c>%}</c>, <c>#}</c> or <c>}}</c> at p: <c>-</c> eats the blanks after it,
    /// trim_blocks one newline after a block or comment (never after <c>+</c>); -1 when none is at p.</summary>
    private int CloseEnd(int p, string close, bool trims)
    {
        if (trims && At(p, "+" + close)) return p + 1 + close.Length;
        if (At(p, "-" + close)) return SkipSpace(p + 1 + close.Length);
        if (!At(p, close)) return -1;
        var end = p + close.Length;
        return trims && end < _src.Length && _src[end] == '\n' ? end + 1 : end;
    }

    private void Comment(int from)
    {
        var j = _src.IndexOf("#}", from, StringComparison.Ordinal);
        if (j < 0) throw new TemplateSyntaxError("Missing end of comment tag", _line);
        CloseAt(CloseEnd(j > from && _src[j - 1] is '-' or '+' ? j - 1 : j, "#}", trims: true));
    }

    /// <summary>Where the text of <c>{% raw %}</c> starts when the tag at p (after <c>{%</c>) is one, else -1.</summary>
    private int RawBeginEnd(int p)
    {
        p = SkipSpace(p);
        if (!At(p, "raw")) return -1;
        p = SkipSpace(p + 3);
        if (At(p, "-%}")) return SkipSpace(p + 3);
        return At(p, "%}") ? p + 2 : -1;
    }

    private void Raw(int start)
    {
        CloseAt(start);
        for (var k = _src.IndexOf("{%", start, StringComparison.Ordinal); k >= 0; k = _src.IndexOf("{%", k + 1, StringComparison.Ordinal))
        {
            var p = k + 2;
            var sign = p < _src.Length && _src[p] is '-' or '+' ? _src[p++] : '\0';
            p = SkipSpace(p);
            if (!At(p, "endraw")) continue;
            var end = CloseEnd(SkipSpace(p + 6), "%}", trims: true);
            if (end < 0) continue;
            AddData(StripBefore(_src[start..k], sign, blockOrComment: true));
            CloseAt(end);
            return;
        }
        throw new TemplateSyntaxError("Missing end of raw directive", _line);
    }

    private void Tag(bool variable, int inside)
    {
        _tokens.Add(new Token(variable ? TokenKind.VariableBegin : TokenKind.BlockBegin, variable ? "{{" : "{%", null, _line));
        MoveTo(inside);
        while (_pos < _src.Length)
        {
            if (_closers.Count == 0)
            {
                var end = variable ? CloseEnd(_pos, "}}", trims: false) : CloseEnd(_pos, "%}", trims: true);
                if (end >= 0)
                {
                    _tokens.Add(new Token(variable ? TokenKind.VariableEnd : TokenKind.BlockEnd, variable ? "}}" : "%}", null, _line));
                    CloseAt(end);
                    return;
                }
            }
            var c = _src[_pos];
            if (IsSpace(c)) MoveTo(_pos + 1);
            else if (!(Number() || Name() || String() || Operator()))
                throw new TemplateSyntaxError($"unexpected char {PyText.Repr(c.ToString())} at {_pos}", _line);
        }
    }
}
