using System.Text;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Python's str methods that chat templates call: <c>content.strip()</c>, <c>.split('&lt;/think&gt;')[-1]</c>,
/// <c>.startswith(('a', 'b'))</c>, <c>'{}'.format(x)</c> and the rest of the common ones, with Python's rules for
/// whitespace, empty separators and negative counts.
/// </summary>
internal static class StringMethods
{
    private static readonly HashSet<string> Names =
    [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower", "casefold",
        "swapcase", "title", "capitalize", "replace", "find", "rfind", "index", "rindex", "count", "join", "format",
        "removeprefix", "removesuffix", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "isnumeric",
        "isdecimal", "istitle", "center", "ljust", "rjust", "zfill", "partition", "rpartition",
    ];

    public static bool Has(string name) => Names.Contains(name);

    public static object? Call(Renderer renderer, string s, string name, Arguments args)
    {
        switch (name)
        {
            case "strip" or "lstrip" or "rstrip":
                return Strip(s, args.Bind(name, ["chars"], [null])[0], name != "rstrip", name != "lstrip");
            case "split" or "rsplit":
                var sp = args.Bind(name, ["sep", "maxsplit"], null, -1L);
                return new PyList(Split(s, NoneOr(sp[0]), (int)Py.ToLong(sp[1]), name == "rsplit").ToArray<object?>());
            case "splitlines":
                return new PyList(SplitLines(s, Py.Truthy(args.Bind(name, ["keepends"], Py.False)[0])).ToArray<object?>());
            case "startswith" or "endswith":
                var se = args.Bind(name, ["prefix", "start", "end"], Arguments.Required, null, null);
                var part = Range(s, se[1], se[2]);
                var options = se[0] is PyList t ? t.ToArray() : [se[0]];
                return Py.Bool(options.Any(o => o is string x
                    ? name == "startswith" ? part.StartsWith(x, StringComparison.Ordinal) : part.EndsWith(x, StringComparison.Ordinal)
                    : throw new TemplateRuntimeError($"{name} first arg must be str or a tuple of str, not {Py.TypeName(o)}")));
            case "upper": return s.ToUpperInvariant();
            case "lower" or "casefold": return s.ToLowerInvariant();
            case "swapcase": return string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)));
            case "title": return Title(s);
            case "capitalize": return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            case "replace":
                var rp = args.Bind(name, ["old", "new", "count"], Arguments.Required, Arguments.Required, -1L);
                return Replace(renderer, s, Str(rp[0]), Str(rp[1]), Py.ToLong(rp[2]));
            case "find" or "rfind" or "index" or "rindex":
                var fp = args.Bind(name, ["sub", "start", "end"], Arguments.Required, null, null);
                var (from, to) = Bounds(s, fp[1], fp[2]);
                var window = from > to ? null : s[from..to];
                var found = window is null ? -1 : name is "find" or "index"
                    ? window.IndexOf(Str(fp[0]), StringComparison.Ordinal)
                    : window.LastIndexOf(Str(fp[0]), StringComparison.Ordinal);
                var at = found < 0 ? -1 : found + from;
                if (at < 0 && name is "index" or "rindex") throw new TemplateRuntimeError("substring not found");
                return (long)at;
            case "count":
                var cp = args.Bind(name, ["sub", "start", "end"], Arguments.Required, null, null);
                return (long)Count(Range(s, cp[1], cp[2]), Str(cp[0]));
            case "join":
                var items = Py.Iterate(args.Bind(name, ["iterable"], Arguments.Required)[0]);
                return string.Join(s, items.Select((x, i) => x as string
                    ?? throw new TemplateRuntimeError($"sequence item {i}: expected str instance, {Py.TypeName(x)} found")));
            case "format": return Format(s, args);
            case "removeprefix": var pre = Str(args.Bind(name, ["prefix"], Arguments.Required)[0]); return s.StartsWith(pre, StringComparison.Ordinal) ? s[pre.Length..] : s;
            case "removesuffix": var suf = Str(args.Bind(name, ["suffix"], Arguments.Required)[0]); return suf.Length > 0 && s.EndsWith(suf, StringComparison.Ordinal) ? s[..^suf.Length] : s;
            case "isdigit" or "isdecimal": return Py.Bool(s.Length > 0 && s.All(char.IsDigit));
            case "isnumeric": return Py.Bool(s.Length > 0 && s.All(char.IsNumber));
            case "isalpha": return Py.Bool(s.Length > 0 && s.All(char.IsLetter));
            case "isalnum": return Py.Bool(s.Length > 0 && s.All(char.IsLetterOrDigit));
            case "isspace": return Py.Bool(s.Length > 0 && s.All(Lexer.IsSpace));
            case "isupper": return Py.Bool(s.Any(char.IsLetter) && !s.Any(char.IsLower));
            case "islower": return Py.Bool(s.Any(char.IsLetter) && !s.Any(char.IsUpper));
            case "istitle": return Py.Bool(s.Any(char.IsLetter) && Title(s) == s);
            case "center" or "ljust" or "rjust":
                var jp = args.Bind(name, ["width", "fillchar"], Arguments.Required, " ");
                var fill = Str(jp[1]);
                if (fill.Length != 1) throw new TemplateRuntimeError("The fill character must be exactly one character long");
                return Justify(renderer, s, Py.ToLong(jp[0]), fill[0], name);
            case "zfill":
                var width = Py.ToLong(args.Bind(name, ["width"], Arguments.Required)[0]);
                renderer.Reserve(width * 2);
                var sign = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
                return width <= s.Length ? s : s[..sign] + new string('0', (int)width - s.Length) + s[sign..];
            default:
                var sep = Str(args.Bind(name, ["sep"], Arguments.Required)[0]);
                if (sep.Length == 0) throw new TemplateRuntimeError("empty separator");
                var p = name == "partition" ? s.IndexOf(sep, StringComparison.Ordinal) : s.LastIndexOf(sep, StringComparison.Ordinal);
                return p < 0
                    ? name == "partition" ? PyList.Tuple(s, "", "") : PyList.Tuple("", "", s)
                    : PyList.Tuple(s[..p], sep, s[(p + sep.Length)..]);
        }
    }

    private static string Str(object? v) =>
        v as string ?? throw new TemplateRuntimeError($"must be str, not {Py.TypeName(v)}");

    private static string? NoneOr(object? v) => v is null ? null : Str(v);

    public static string Strip(string s, object? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars is null ? Lexer.IsSpace : Str(chars).Contains;
        int start = 0, end = s.Length;
        if (left) while (start < end && strip(s[start])) start++;
        if (right) while (end > start && strip(s[end - 1])) end--;
        return s[start..end];
    }

    /// <summary>Python's split: by a separator, or without one on runs of whitespace (dropping empty pieces).</summary>
    public static List<string> Split(string s, string? sep, int max, bool fromRight)
    {
        if (sep is "") throw new TemplateRuntimeError("empty separator");
        if (max < 0) max = int.MaxValue;
        if (fromRight)
        {
            var reversed = Split(Reverse(s), sep is null ? null : Reverse(sep), max, false);
            reversed.Reverse();
            return reversed.Select(Reverse).ToList();
        }
        var parts = new List<string>();
        if (sep is not null)
        {
            var start = 0;
            for (var at = s.IndexOf(sep, StringComparison.Ordinal); at >= 0 && parts.Count < max; at = s.IndexOf(sep, start, StringComparison.Ordinal))
            {
                parts.Add(s[start..at]);
                start = at + sep.Length;
            }
            parts.Add(s[start..]);
            return parts;
        }
        var i = 0;
        while (true)
        {
            while (i < s.Length && Lexer.IsSpace(s[i])) i++;
            if (i == s.Length) return parts;
            if (parts.Count == max)
            {
                parts.Add(s[i..]);
                return parts;
            }
            var begin = i;
            while (i < s.Length && !Lexer.IsSpace(s[i])) i++;
            parts.Add(s[begin..i]);
        }
    }

    private static string Reverse(string s)
    {
        var chars = s.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    /// <summary>Python's splitlines: \n, \r, \r\n and the other line boundaries Python knows.</summary>
    public static List<string> SplitLines(string s, bool keepEnds)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')) continue;
            var end = s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? i + 2 : i + 1;
            lines.Add(s[start..(keepEnds ? end : i)]);
            start = end;
            i = end - 1;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            var cased = char.IsUpper(c) || char.IsLower(c);
            sb.Append(!cased ? c : previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = cased;
        }
        return sb.ToString();
    }

    private static string Replace(Renderer renderer, string s, string old, string replacement, long count)
    {
        if (count < 0) count = long.MaxValue;
        var occurrences = Math.Min(count, old.Length == 0 ? s.Length + 1 : Count(s, old));
        renderer.Reserve((s.Length + occurrences * (replacement.Length - old.Length)) * 2);
        if (old.Length == 0)
            return string.Concat(Enumerable.Range(0, s.Length + 1).Select(i => (i < occurrences ? replacement : "") + (i < s.Length ? s[i].ToString() : "")));
        var sb = new StringBuilder();
        var start = 0;
        for (var n = 0L; n < occurrences; n++)
        {
            var at = s.IndexOf(old, start, StringComparison.Ordinal);
            sb.Append(s, start, at - start).Append(replacement);
            start = at + old.Length;
        }
        return sb.Append(s, start, s.Length - start).ToString();
    }

    public static int Count(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        var n = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static (int From, int To) Bounds(string s, object? start, object? end)
    {
        int Resolve(object? v, int fallback) => v is null ? fallback
            : (int)Math.Clamp(Py.ToLong(v) < 0 ? Py.ToLong(v) + s.Length : Py.ToLong(v), 0, s.Length);
        return (Resolve(start, 0), Resolve(end, s.Length));
    }

    private static string Range(string s, object? start, object? end)
    {
        var (from, to) = Bounds(s, start, end);
        return from >= to ? "" : s[from..to];
    }

    public static string Justify(Renderer renderer, string s, long width, char fill, string how)
    {
        if (width <= s.Length) return s;
        renderer.Reserve(width * 2);
        var pad = (int)width - s.Length;
        var left = how switch { "ljust" => 0, "rjust" => pad, _ => pad / 2 + (pad & (int)width & 1) };
        return new string(fill, left) + s + new string(fill, pad - left);
    }

    /// <summary>str.format: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, <c>{0.attr}</c>/<c>{0[key]}</c>, <c>!r</c>/<c>!s</c>, <c>:spec</c>.</summary>
    private static string Format(string format, Arguments args)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c is '{' or '}' && i + 1 < format.Length && format[i + 1] == c) { sb.Append(c); i++; continue; }
            if (c == '}') throw new TemplateRuntimeError("Single '}' encountered in format string");
            if (c != '{') { sb.Append(c); continue; }
            var close = format.IndexOf('}', i);
            if (close < 0) throw new TemplateRuntimeError("Single '{' encountered in format string");
            var field = format[(i + 1)..close];
            var colon = field.IndexOf(':');
            var spec = colon < 0 ? "" : field[(colon + 1)..];
            if (colon >= 0) field = field[..colon];
            var bang = field.IndexOf('!');
            var conversion = bang < 0 ? '\0' : field[bang + 1];
            if (bang >= 0) field = field[..bang];
            var value = Field(field, args, ref auto);
            if (conversion is 'r' or 'a') value = PyText.Repr(value);
            else if (conversion == 's') value = PyText.Str(value);
            sb.Append(PyFormat.Spec(value, spec));
            i = close;
        }
        return sb.ToString();
    }

    private static object? Field(string field, Arguments args, ref int auto)
    {
        var end = field.IndexOfAny(['.', '[']);
        var head = end < 0 ? field : field[..end];
        object? value;
        if (head.Length == 0 || char.IsAsciiDigit(head[0]))
        {
            var index = head.Length == 0 ? auto++ : int.Parse(head, System.Globalization.CultureInfo.InvariantCulture);
            value = index < args.Positional.Count ? args.Positional[index]
                : throw new TemplateRuntimeError($"Replacement index {index} out of range for positional args tuple");
        }
        else value = args.Named.FirstOrDefault(n => n.Key == head) is { Key: not null } named ? named.Value
            : throw new TemplateRuntimeError($"KeyError: '{head}'");
        for (var rest = end < 0 ? "" : field[end..]; rest.Length > 0;)
        {
            if (rest[0] == '.')
            {
                var next = rest.IndexOfAny(['.', '['], 1);
                value = Access.GetAttr(value, next < 0 ? rest[1..] : rest[1..next]);
                rest = next < 0 ? "" : rest[next..];
                continue;
            }
            var close = rest.IndexOf(']');
            var key = rest[1..close];
            value = Access.GetItem(value, long.TryParse(key, out var n) ? n : key);
            rest = rest[(close + 1)..];
        }
        return value;
    }
}
