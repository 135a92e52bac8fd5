namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Python's arithmetic and comparison operators over template values: int and float mix as in Python (/ is always
/// float division, // and % floor, ** of a negative power is a float), + joins strings, lists and tuples, * repeats
/// them. Integers are 64-bit here (Python's have no bound): past that they fail rather than wrap.
/// </summary>
internal static class Operators
{
    public static object? Binary(Renderer renderer, BinaryOp op, object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Error();
        if (b is Undefined ub) throw ub.Error();
        try
        {
            return op switch
            {
                BinaryOp.Add => Add(a, b),
                BinaryOp.Sub => Arithmetic("-", a, b, (x, y) => checked(x - y), (x, y) => x - y),
                BinaryOp.Mul => Mul(renderer, a, b),
                BinaryOp.Div => Py.IsNumber(a) && Py.IsNumber(b) ? Divide(Py.ToDouble(a), Py.ToDouble(b)) : throw Unsupported("/", a, b),
                BinaryOp.FloorDiv => Arithmetic("//", a, b, FloorDiv, (x, y) => Math.Floor(Divide(x, y))),
                BinaryOp.Mod => a switch
                {
                    string format => PyFormat.Percent(format, b),
                    Markup format => new Markup(PyFormat.Percent(format.Text, EscapeArguments(b))),
                    _ => Arithmetic("%", a, b, Mod, Mod),
                },
                BinaryOp.Pow => Pow(a, b),
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
        }
        catch (OverflowException)
        {
            throw new TemplateRuntimeError("integer overflow: template integers are 64-bit");
        }
    }

    private static object? Add(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => x + y,
        (Markup x, string or Markup) => new Markup(x.Text + Markup.From(b).Text),
        (string x, Markup y) => new Markup(Markup.Escape(x) + y.Text),
        (PyList { View: null } x, PyList { View: null } y) when x.IsTuple == y.IsTuple => new PyList([.. x, .. y], x.IsTuple),
        (string or Markup, _) => throw new TemplateRuntimeError($"can only concatenate str (not \"{Py.TypeName(b)}\") to str"),
        (PyList x, _) => throw new TemplateRuntimeError($"can only concatenate {Py.TypeName(x)} (not \"{Py.TypeName(b)}\") to {Py.TypeName(x)}"),
        _ => Arithmetic("+", a, b, (x, y) => checked(x + y), (x, y) => x + y),
    };

    private static object Arithmetic(string op, object? a, object? b, Func<long, long, long> ints, Func<double, double, double> floats)
    {
        if (Py.IsInt(a) && Py.IsInt(b)) return ints(Py.ToLong(a), Py.ToLong(b));
        if (Py.IsNumber(a) && Py.IsNumber(b)) return floats(Py.ToDouble(a), Py.ToDouble(b));
        throw Unsupported(op, a, b);
    }

    private static TemplateRuntimeError Unsupported(string op, object? a, object? b) =>
        new($"unsupported operand type(s) for {op}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");

    private static double Divide(double x, double y) => y != 0 ? x / y : throw new TemplateRuntimeError("division by zero");

    private static long FloorDiv(long x, long y)
    {
        if (y == 0) throw new TemplateRuntimeError("integer division or modulo by zero");
        var q = x / y;
        return x % y != 0 && (x < 0) != (y < 0) ? q - 1 : q;
    }

    private static long Mod(long x, long y)
    {
        if (y == 0) throw new TemplateRuntimeError("integer division or modulo by zero");
        var r = x % y;
        return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }

    private static double Mod(double x, double y)
    {
        if (y == 0) throw new TemplateRuntimeError("float modulo");
        var r = x % y;
        return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }

    /// <summary>Repetition is sized before it is built, so <c>'x' * 10**12</c> is refused, not attempted.</summary>
    private static object Mul(Renderer renderer, object? a, object? b)
    {
        if (a is string or Markup or PyList && Py.IsInt(b)) (a, b) = (b, a);
        if (Py.IsInt(a) && b is Markup m) return new Markup((string)Mul(renderer, a, m.Text));
        if (Py.IsInt(a) && b is string s)
        {
            var n = Math.Max(0, Py.ToLong(a));
            renderer.Reserve(checked(n * s.Length * 2));
            return string.Concat(Enumerable.Repeat(s, (int)n));
        }
        if (Py.IsInt(a) && b is PyList { View: null } list)
        {
            var n = Math.Max(0, Py.ToLong(a));
            renderer.Reserve(checked(n * list.Count * 8));
            return new PyList(Enumerable.Repeat(list, (int)n).SelectMany(l => l).ToArray(), list.IsTuple);
        }
        return Arithmetic("*", a, b, (x, y) => checked(x * y), (x, y) => x * y);
    }

    /// <summary>Markup's %: the values it formats are escaped first.</summary>
    private static object? EscapeArguments(object? args) => args switch
    {
        PyList { IsTuple: true } tuple => new PyList(tuple.Select(v => (object?)EscapeOne(v)).ToArray(), isTuple: true),
        PyDict dict => dict.Aggregate(new PyDict(), (d, e) => { d.Set(e.Key, EscapeOne(e.Value)); return d; }),
        _ => EscapeOne(args),
    };

    private static object? EscapeOne(object? v) => v is string or Markup ? Markup.From(v).Text : v;

    private static object Pow(object? a, object? b)
    {
        if (Py.IsInt(a) && Py.IsInt(b) && Py.ToLong(b) >= 0)
        {
            long result = 1, x = Py.ToLong(a);
            for (var e = Py.ToLong(b); e > 0; e >>= 1)
            {
                if ((e & 1) == 1) result = checked(result * x);
                if (e > 1) x = checked(x * x);
            }
            return result;
        }
        if (!Py.IsNumber(a) || !Py.IsNumber(b)) throw Unsupported("** or pow()", a, b);
        var (x2, y2) = (Py.ToDouble(a), Py.ToDouble(b));
        if (x2 == 0 && y2 < 0) throw new TemplateRuntimeError("0.0 cannot be raised to a negative power");
        return Math.Pow(x2, y2);
    }

    public static object Negate(object? v, bool negative) => v switch
    {
        Undefined u => throw u.Error(),
        long or bool => (object)(negative ? checked(-Py.ToLong(v)) : Py.ToLong(v)),
        double d => negative ? -d : d,
        _ => throw new TemplateRuntimeError($"bad operand type for unary {(negative ? '-' : '+')}: '{Py.TypeName(v)}'"),
    };

    public static bool Compare(string op, object? a, object? b) => op switch
    {
        "==" => Py.Equal(a, b),
        "!=" => !Py.Equal(a, b),
        "<" => Py.Compare(a, b, op) < 0,
        "<=" => Py.Compare(a, b, op) <= 0,
        ">" => Py.Compare(a, b, op) > 0,
        ">=" => Py.Compare(a, b, op) >= 0,
        "in" => Py.Contains(b, a),
        "notin" => !Py.Contains(b, a),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
