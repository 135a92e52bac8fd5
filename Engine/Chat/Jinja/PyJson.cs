using System.Text;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// The <c>tojson</c> filter as transformers defines it: Python's <c>json.dumps(x, ensure_ascii=False, indent=None,
/// separators=None, sort_keys=False)</c>, not jinja2's HTML-safe one. Separators default to ", " and ": ", or ","
/// and ": " with an indent; floats are written as Python writes them.
/// </summary>
internal static class PyJson
{
    private const int MaxDepth = 200;

    public static string Dumps(object? value, bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        var writer = new Writer(ensureAscii, indent, itemSeparator, keySeparator, sortKeys);
        writer.Write(value, 0);
        return writer.ToString();
    }

    private sealed class Writer(bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        private readonly StringBuilder _sb = new();

        public override string ToString() => _sb.ToString();

        public void Write(object? value, int level)
        {
            if (level > MaxDepth) throw new TemplateRuntimeError("Circular reference detected");
            switch (value)
            {
                case null: _sb.Append("null"); break;
                case bool b: _sb.Append(b ? "true" : "false"); break;
                case long l: _sb.Append(l); break;
                case double d: _sb.Append(Number(d)); break;
                case string s: String(s); break;
                case Markup m: String(m.Text); break;
                case PyList { View: null } list: Items(list.Count, level, '[', ']', i => Write(list[i], level + 1)); break;
                case PyDict dict: Object(dict, level); break;
                default: throw new TemplateRuntimeError($"Object of type {Py.TypeName(value)} is not JSON serializable");
            }
        }

        private static string Number(double d) =>
            double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? d > 0 ? "Infinity" : "-Infinity" : PyText.Float(d);

        private void Object(PyDict dict, int level)
        {
            var entries = dict.ToList();
            if (sortKeys) entries.Sort((a, b) => Py.Compare(a.Key, b.Key));
            Items(entries.Count, level, '{', '}', i =>
            {
                String(Key(entries[i].Key));
                _sb.Append(keySeparator);
                Write(entries[i].Value, level + 1);
            });
        }

        private static string Key(object? key) => key switch
        {
            string s => s,
            null => "null",
            bool b => b ? "true" : "false",
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            double d => Number(d),
            _ => throw new TemplateRuntimeError($"keys must be str, int, float, bool or None, not {Py.TypeName(key)}"),
        };

        private void Items(int count, int level, char open, char close, Action<int> item)
        {
            _sb.Append(open);
            if (count == 0)
            {
                _sb.Append(close);
                return;
            }
            for (var i = 0; i < count; i++)
            {
                if (i > 0) _sb.Append(itemSeparator);
                NewLine(level + 1);
                item(i);
            }
            NewLine(level);
            _sb.Append(close);
        }

        private void NewLine(int level)
        {
            if (indent is null) return;
            _sb.Append('\n');
            for (var i = 0; i < level; i++) _sb.Append(indent);
        }

        private void String(string s)
        {
            _sb.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': _sb.Append("\\\""); break;
                    case '\\': _sb.Append("\\\\"); break;
                    case '\n': _sb.Append("\\n"); break;
                    case '\r': _sb.Append("\\r"); break;
                    case '\t': _sb.Append("\\t"); break;
                    case '\b': _sb.Append("\\b"); break;
                    case '\f': _sb.Append("\\f"); break;
                    default:
                        if (c < ' ' || ensureAscii && c > '~') _sb.Append($"\\u{(int)c:x4}");
                        else _sb.Append(c);
                        break;
                }
            }
            _sb.Append('"');
        }
    }
}
