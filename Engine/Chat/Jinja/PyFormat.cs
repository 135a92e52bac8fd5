using System.Globalization;
using System.Text;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Python's two string formattings, which templates reach through <c>"%s" % x</c>, the <c>format</c> filter and
/// <c>"{}".format(x)</c>: conversions s r d i f e g x o c and %, with flags, width and precision; format specs with
/// fill, alignment, sign, zero padding, width, a thousands comma and precision.
/// </summary>
internal static class PyFormat
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary><c>format % args</c>: a tuple gives the values in turn, a dict names them, anything else is the one value.</summary>
    public static string Percent(string format, object? args)
    {
        var items = args is PyList { IsTuple: true } tuple ? tuple : PyList.Tuple(args);
        var mapping = args as PyDict;
        var next = 0;
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%') { sb.Append(format[i]); continue; }
            if (++i >= format.Length) throw new TemplateRuntimeError("incomplete format");
            if (format[i] == '%') { sb.Append('%'); continue; }
            object? value = null;
            var named = false;
            if (format[i] == '(')
            {
                var close = format.IndexOf(')', i);
                if (mapping is null || close < 0) throw new TemplateRuntimeError("format requires a mapping");
                if (!mapping.TryGet(format[(i + 1)..close], out value)) throw new TemplateRuntimeError($"KeyError: '{format[(i + 1)..close]}'");
                (i, named) = (close + 1, true);
            }
            var flags = "";
            while (i < format.Length && "-+ #0".Contains(format[i])) flags += format[i++];
            int? width = ReadNumber(format, ref i, () => Py.ToLong(NextArg(items, ref next)));
            int? precision = null;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = ReadNumber(format, ref i, () => Py.ToLong(NextArg(items, ref next))) ?? 0;
            }
            while (i < format.Length && "hlL".Contains(format[i])) i++;
            if (i >= format.Length) throw new TemplateRuntimeError("incomplete format");
            if (!named) value = NextArg(items, ref next);
            sb.Append(Pad(Conversion(format[i], value, flags, precision), width ?? 0, flags.Contains('-') ? '<' : '>',
                flags.Contains('0') && !flags.Contains('-') && Py.IsNumber(value) ? '0' : ' '));
        }
        if (mapping is null && next < items.Count) throw new TemplateRuntimeError("not all arguments converted during string formatting");
        return sb.ToString();
    }

    private static object? NextArg(PyList items, ref int next) =>
        next < items.Count ? items[next++] : throw new TemplateRuntimeError("not enough arguments for format string");

    private static int? ReadNumber(string s, ref int i, Func<long> star)
    {
        if (i < s.Length && s[i] == '*')
        {
            i++;
            return (int)star();
        }
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        return i > start ? int.Parse(s[start..i], Invariant) : null;
    }

    private static string Conversion(char type, object? value, string flags, int? precision)
    {
        var text = type switch
        {
            's' => Truncate(PyText.Str(value), precision),
            'r' or 'a' => Truncate(PyText.Repr(value), precision),
            'c' => value is string s ? s : char.ConvertFromUtf32((int)Integer(value, "%c")),
            _ => Number(type is 'i' or 'u' ? 'd' : type, value, precision, $"%{type}"),
        };
        if (precision > MaxWidth) throw new TemplateLimitError($"a format precision of {precision} is more than a render may build");
        if (Py.IsNumber(value) && !text.StartsWith('-') && type is not ('s' or 'r' or 'a' or 'c'))
            text = (flags.Contains('+') ? "+" : flags.Contains(' ') ? " " : "") + text;
        return text;
    }

    private static string Truncate(string s, int? precision) => precision is { } p && p < s.Length ? s[..p] : s;

    private static long Integer(object? value, string what) => value switch
    {
        long or bool => Py.ToLong(value),
        double d => (long)Math.Truncate(d),
        _ => throw new TemplateRuntimeError($"{what} format: a real number is required, not {Py.TypeName(value)}"),
    };

    /// <summary>A number in one of Python's presentation types (d x X o b e E f F g G %).</summary>
    private static string Number(char type, object? value, int? precision, string what)
    {
        if (!Py.IsNumber(value)) throw new TemplateRuntimeError($"{what} format: a real number is required, not {Py.TypeName(value)}");
        switch (type)
        {
            case 'd' or 'n': return Integer(value, what).ToString(Invariant);
            case 'x': return Radix(Integer(value, what), 16);
            case 'X': return Radix(Integer(value, what), 16).ToUpperInvariant();
            case 'o': return Radix(Integer(value, what), 8);
            case 'b': return Radix(Integer(value, what), 2);
        }
        var d = Py.ToDouble(value);
        if (double.IsNaN(d) || double.IsInfinity(d)) return PyText.Float(d);
        var p = precision ?? 6;
        return type switch
        {
            'f' or 'F' => d.ToString("F" + p, Invariant),
            'e' or 'E' => Scientific(d, p, type),
            'g' or 'G' => General(d, p == 0 ? 1 : p, type == 'G'),
            '%' => (d * 100).ToString("F" + p, Invariant) + "%",
            _ => throw new TemplateRuntimeError($"unsupported format character '{type}'"),
        };
    }

    private static string Radix(long v, int radix) => (v < 0 ? "-" : "") + Convert.ToString(Math.Abs(v), radix);

    private static string Scientific(double d, int precision, char type)
    {
        var s = d.ToString((type == 'E' ? "E" : "e") + precision, Invariant);
        var e = s.IndexOfAny(['e', 'E']);
        var exponent = int.Parse(s[(e + 1)..], Invariant);
        return $"{s[..(e + 1)]}{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
    }

    private static string General(double d, int precision, bool upper)
    {
        var sci = Scientific(d, precision - 1, 'e');
        var exponent = int.Parse(sci[(sci.IndexOf('e') + 1)..], Invariant);
        var text = exponent >= -4 && exponent < precision ? d.ToString("F" + (precision - 1 - exponent), Invariant) : sci;
        var e = text.IndexOf('e');
        var mantissa = e < 0 ? text : text[..e];
        if (mantissa.Contains('.')) mantissa = mantissa.TrimEnd('0').TrimEnd('.');
        text = mantissa + (e < 0 ? "" : text[e..]);
        return upper ? text.ToUpperInvariant() : text;
    }

    /// <summary>A width no template needs, refused before it is allocated.</summary>
    private const int MaxWidth = 1 << 24;

    private static string Pad(string text, int width, char align, char fill)
    {
        if (text.Length >= width) return text;
        if (width > MaxWidth) throw new TemplateLimitError($"a format width of {width} is more than a render may build");
        var padding = width - text.Length;
        if (fill == '0' || align == '=')
        {
            var signed = text.Length > 0 && text[0] is '-' or '+' or ' ' ? 1 : 0;
            return text[..signed] + new string(fill, padding) + text[signed..];
        }
        return align switch
        {
            '<' => text + new string(fill, padding),
            '^' => new string(fill, padding / 2) + text + new string(fill, padding - padding / 2),
            _ => new string(fill, padding) + text,
        };
    }

    /// <summary>Python's format(value, spec): [[fill]align][sign][0][width][,][.precision][type].</summary>
    public static string Spec(object? value, string spec)
    {
        if (spec.Length == 0) return PyText.Str(value);
        var i = 0;
        char? fill = null, align = null;
        if (spec.Length > 1 && spec[1] is '<' or '>' or '^' or '=') (fill, align, i) = (spec[0], spec[1], 2);
        else if (spec[0] is '<' or '>' or '^' or '=') (align, i) = (spec[0], 1);
        var sign = i < spec.Length && spec[i] is '+' or '-' or ' ' ? spec[i++] : '-';
        if (i < spec.Length && spec[i] == '#') i++;
        if (i < spec.Length && spec[i] == '0' && fill is null) (fill, align, i) = ('0', align ?? '=', i + 1);
        var width = ReadNumber(spec, ref i, () => 0) ?? 0;
        var comma = i < spec.Length && spec[i] is ',' or '_' ? spec[i++] : '\0';
        int? precision = null;
        if (i < spec.Length && spec[i] == '.')
        {
            i++;
            precision = ReadNumber(spec, ref i, () => 0) ?? 0;
        }
        var type = i < spec.Length ? spec[i] : '\0';
        string text;
        if (value is string s && type is '\0' or 's') text = Truncate(s, precision);
        else
        {
            if (!Py.IsNumber(value)) throw new TemplateRuntimeError($"Unknown format code '{type}' for object of type '{Py.TypeName(value)}'");
            var t = type != '\0' ? type : Py.IsInt(value) ? 'd' : precision is null ? 'r' : 'g';
            text = t == 'r' ? PyText.Float(Py.ToDouble(value)) : Number(t, value, precision, "format");
            if (comma != '\0') text = Group(text, comma);
            if (sign != '-' && !text.StartsWith('-')) text = sign + text;
        }
        return Pad(text, width, align ?? (value is string ? '<' : '>'), fill ?? ' ');
    }

    private static string Group(string number, char separator)
    {
        var start = number.StartsWith('-') ? 1 : 0;
        var end = number.IndexOfAny(['.', 'e', 'E', '%']) is var e and >= 0 ? e : number.Length;
        var sb = new StringBuilder(number[..start]);
        for (var i = start; i < end; i++)
        {
            if (i > start && (end - i) % 3 == 0) sb.Append(separator);
            sb.Append(number[i]);
        }
        return sb.Append(number[end..]).ToString();
    }
}
