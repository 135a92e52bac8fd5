using System.Globalization;
using System.Text;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Values as Python writes them: <c>str()</c> for output (None, True, 1.0) and <c>repr()</c> inside lists and
/// dicts (<c>['a', 'b']</c>, <c>{'k': 1}</c>), with floats in Python's shortest round-trip form (1e-05, 1e+16).
/// </summary>
internal static class PyText
{
    private const int MaxDepth = 200;

    public static string Str(object? v) => v switch
    {
        string s => s,
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        Undefined => "",
        Markup m => m.Text,
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v, []);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v, HashSet<object> open)
    {
        if (open.Count > MaxDepth) throw new TemplateRuntimeError("maximum recursion depth exceeded while getting the repr of an object");
        switch (v)
        {
            case string s:
                AppendString(sb, s);
                break;
            case PyList { View: { } view } list:
                sb.Append(view).Append('(');
                AppendRepr(sb, new PyList([.. list]), open);
                sb.Append(')');
                break;
            case PyList list:
                sb.Append(list.IsTuple ? '(' : '[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Nested(sb, list[i], open, list);
                }
                sb.Append(list.IsTuple ? list.Count == 1 ? ",)" : ")" : "]");
                break;
            case PyDict dict:
                AppendEntries(sb, dict.Select(e => (e.Key, e.Value)), open, dict);
                break;
            case Namespace ns when open.Contains(ns):
                sb.Append("<Namespace {...}>");
                break;
            case Namespace ns:
                sb.Append("<Namespace ");
                AppendEntries(sb, ns.Attributes.Select(e => ((object?)e.Key, e.Value)), open, ns);
                sb.Append('>');
                break;
            case PyRange r:
                sb.Append($"range({r.Start}, {r.Stop}{(r.Step == 1 ? "" : $", {r.Step}")})");
                break;
            case LoopContext loop:
                sb.Append($"<LoopContext {loop.Index0 + 1}/{loop.Length}>");
                break;
            case Macro m:
                sb.Append($"<Macro '{m.Name}'>");
                break;
            case BoundMethod m:
                sb.Append($"<built-in method {m.Name} of {Py.TypeName(m.Target)} object>");
                break;
            case Callable c:
                sb.Append($"<function {c.Name}>");
                break;
            case Undefined:
                sb.Append("Undefined");
                break;
            case Markup m:
                sb.Append("Markup(");
                AppendString(sb, m.Text);
                sb.Append(')');
                break;
            case PyIterator it:
                sb.Append($"<{it.TypeName} object>");
                break;
            default:
                sb.Append(Str(v));
                break;
        }
    }

    private static void Nested(StringBuilder sb, object? item, HashSet<object> open, object owner)
    {
        open.Add(owner);
        AppendRepr(sb, item, open);
        open.Remove(owner);
    }

    private static void AppendEntries(StringBuilder sb, IEnumerable<(object? Key, object? Value)> entries, HashSet<object> open, object owner)
    {
        sb.Append('{');
        var first = true;
        foreach (var (key, value) in entries)
        {
            if (!first) sb.Append(", ");
            first = false;
            Nested(sb, key, open, owner);
            sb.Append(": ");
            Nested(sb, value, open, owner);
        }
        sb.Append('}');
    }

    private static void AppendString(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (var c in s)
        {
            if (c == quote || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < ' ' || c == '\x7f') sb.Append($"\\x{(int)c:x2}");
            else if (!IsPrintable(c)) sb.Append(c <= '\xff' ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        sb.Append(quote);
    }

    /// <summary>Python's str.isprintable, near enough: surrogates pass (they are mostly printable emoji).</summary>
    private static bool IsPrintable(char c) => c == ' ' || char.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };

    /// <summary>Python's float repr: the shortest digits that round-trip, fixed for exponents -4..15, else 1e+16.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        var (negative, digits, point) = Digits(d);
        var sign = negative ? "-" : "";
        if (digits.Length == 0) return sign + "0.0";
        var exponent = point - 1;
        if (exponent is < -4 or >= 16)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
        }
        if (point <= 0) return sign + "0." + new string('0', -point) + digits;
        if (point >= digits.Length) return sign + digits + new string('0', point - digits.Length) + ".0";
        return sign + digits[..point] + "." + digits[point..];
    }

    /// <summary>The shortest round-trip digits of d without leading or trailing zeros, and where the point goes.</summary>
    private static (bool Negative, string Digits, int Point) Digits(double d)
    {
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var negative = r.StartsWith('-');
        if (negative) r = r[1..];
        var e = r.IndexOfAny(['E', 'e']);
        var exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        var mantissa = e < 0 ? r : r[..e];
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var point = (dot < 0 ? mantissa.Length : dot) + exponent;
        var lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        return (negative, digits, point - lead);
    }
}
