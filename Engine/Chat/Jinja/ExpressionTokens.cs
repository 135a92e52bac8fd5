using System.Globalization;
using System.Text;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// The tokens inside a tag, read as jinja2's rules read them: numbers (underscores, 0x/0o/0b, floats before
/// integers), names, strings with Python's escapes, and operators (longest first, brackets kept balanced so a
/// <c>}}</c> inside a dict literal does not close the tag).
/// </summary>
internal sealed partial class Lexer
{
    private static readonly string[] TwoCharOperators = ["//", "**", "==", "!=", ">=", "<="];
    private const string OneCharOperators = "+-/*%~[](){}><=.:|,;";

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
                if (d != '_') value = checked(value * radix + (char.IsAsciiDigit(d) ? d - '0' : char.ToLowerInvariant(d) - 'a' + 10));
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
