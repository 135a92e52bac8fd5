using System.Globalization;
using System.Text;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Splits a template into tokens as jinja2's lexer does under transformers' settings: trim_blocks (the newline after a
/// block or comment tag goes), lstrip_blocks (blanks before a block or comment tag that starts its line go),
/// keep_trailing_newline off, <c>-</c>/<c>+</c> whitespace control, <c>{% raw %}</c>, newlines read as \n. The rules
/// follow jinja2's regular expressions position by position, so the same text is kept and dropped.
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] TwoCharOperators = ["//", "**", "==", "!=", ">=", "<="];
    private const string OneCharOperators = "+-/*%~[](){}><=.:|,;";

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

    private void Add(TokenKind kind, int end, object? value)
    {
        _tokens.Add(new Token(kind, _src[_pos..end], value, _line));
        MoveTo(end);
    }

    private int Digits(int p) => ScanDigits(p, 10);

    private bool Number()
    {
        if (!char.IsAsciiDigit(_src[_pos])) return false;
        var p = Digits(_pos);
        var isFloat = false;
        if (p + 1 < _src.Length && _src[p] == '.' && char.IsAsciiDigit(_src[p + 1]))
        {
            p = Digits(p + 1);
            isFloat = true;
        }
        if (p < _src.Length && _src[p] is 'e' or 'E')
        {
            var q = p + 1 < _src.Length && _src[p + 1] is '+' or '-' ? p + 2 : p + 1;
            if (q < _src.Length && char.IsAsciiDigit(_src[q]))
            {
                p = Digits(q);
                isFloat = true;
            }
        }
        if (isFloat && (_pos == 0 || _src[_pos - 1] != '.'))
        {
            Add(TokenKind.Float, p, double.Parse(_src[_pos..p].Replace("_", ""), CultureInfo.InvariantCulture));
            return true;
        }
        return Integer();
    }

    private bool Integer()
    {
        var radix = _src[_pos] == '0' && _pos + 1 < _src.Length ? char.ToLowerInvariant(_src[_pos + 1]) switch { 'b' => 2, 'o' => 8, 'x' => 16, _ => 10 } : 10;
        var start = radix == 10 ? _pos : _pos + 2;
        var p = ScanDigits(start, radix);
        if (p == start) (radix, start, p) = (10, _pos, _pos + 1); // "0x" with no digits is the integer 0, then a name
        else if (radix == 10 && _src[_pos] == '0') p = _pos + 1 + _src[(_pos + 1)..p].TakeWhile(c => c is '0' or '_').Count();
        long value = 0;
        try
        {
            foreach (var d in _src[start..p])
                if (d != '_') value = checked(value * radix + Convert.ToInt32(d.ToString(), 16));
        }
        catch (OverflowException)
        {
            throw new TemplateSyntaxError($"integer literal {_src[_pos..p]} is too large", _line);
        }
        Add(TokenKind.Integer, p, value);
        return true;
    }

    private int ScanDigits(int p, int radix)
    {
        while (p < _src.Length && (IsDigit(_src[p], radix) || _src[p] == '_' && p + 1 < _src.Length && IsDigit(_src[p + 1], radix))) p++;
        return p;
    }

    private static bool IsDigit(char c, int radix) => radix switch
    {
        2 => c is '0' or '1',
        8 => c is >= '0' and <= '7',
        16 => char.IsAsciiHexDigit(c),
        _ => char.IsAsciiDigit(c),
    };

    private bool Name()
    {
        var c = _src[_pos];
        if (!(char.IsLetter(c) || c == '_')) return false;
        var p = _pos + 1;
        while (p < _src.Length && (char.IsLetterOrDigit(_src[p]) || _src[p] == '_')) p++;
        Add(TokenKind.Name, p, null);
        return true;
    }

    private bool String()
    {
        var quote = _src[_pos];
        if (quote is not ('\'' or '"')) return false;
        for (var j = _pos + 1; j < _src.Length; j++)
        {
            if (_src[j] == '\\') j++;
            else if (_src[j] == quote)
            {
                Add(TokenKind.String, j + 1, Unescape(_src[(_pos + 1)..j], _line));
                return true;
            }
        }
        return false;
    }

    private bool Operator()
    {
        var op = Array.Find(TwoCharOperators, o => At(_pos, o)) ?? (OneCharOperators.Contains(_src[_pos]) ? _src[_pos].ToString() : null);
        if (op is null) return false;
        switch (op)
        {
            case "(": _closers.Push(')'); break;
            case "[": _closers.Push(']'); break;
            case "{": _closers.Push('}'); break;
            case ")" or "]" or "}":
                if (_closers.Count == 0) throw new TemplateSyntaxError($"unexpected '{op}'", _line);
                var expected = _closers.Pop();
                if (expected != op[0]) throw new TemplateSyntaxError($"unexpected '{op}', expected '{expected}'", _line);
                break;
        }
        Add(TokenKind.Operator, _pos + op.Length, null);
        return true;
    }

    /// <summary>A string literal's escapes, read as Python's unicode-escape codec reads them (unknown ones stay).</summary>
    private static string Unescape(string s, int line)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\') { sb.Append(s[i]); continue; }
            if (++i == s.Length) throw new TemplateSyntaxError("\\ at end of string", line);
            switch (s[i])
            {
                case '\n': break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case '\\' or '\'' or '"': sb.Append(s[i]); break;
                case >= '0' and <= '7':
                    var n = 0;
                    for (var k = 0; k < 3 && i < s.Length && s[i] is >= '0' and <= '7'; k++, i++) n = n * 8 + (s[i] - '0');
                    sb.Append((char)n);
                    i--;
                    break;
                case 'x' or 'u' or 'U':
                    var width = s[i] switch { 'x' => 2, 'u' => 4, _ => 8 };
                    if (i + width >= s.Length || !s.AsSpan(i + 1, width).ToString().All(char.IsAsciiHexDigit))
                        throw new TemplateSyntaxError($"truncated \\{s[i]}{new string('X', width)} escape", line);
                    var code = int.Parse(s.AsSpan(i + 1, width), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (code > 0x10FFFF) throw new TemplateSyntaxError("illegal Unicode character", line);
                    sb.Append(code < 0x10000 ? ((char)code).ToString() : char.ConvertFromUtf32(code));
                    i += width;
                    break;
                case 'N': throw new TemplateSyntaxError("\\N{...} escapes are not supported", line);
                default: sb.Append('\\').Append(s[i]); break;
            }
        }
        return sb.ToString();
    }
}
