using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Script;

/// <summary>
/// A compiled TorchScript unit made of script files (the layer and the parts a form substitutes) and the records they
/// read: record names in the sources become their tuple types, each record gets its accessors, and each
/// <c># @entry</c> function a wrapper that takes the records' leaves. <see cref="Call{T}"/> passes C# records by name.
/// </summary>
internal sealed partial class ScriptUnit
{
    private readonly Lazy<jit.CompilationUnit> _unit;
    private readonly Dictionary<string, ScriptEntry> _entries;
    private readonly ConditionalWeakTable<object, object[]> _lists = new();
    private readonly ConditionalWeakTable<object, object[]> _constants = new();

    public ScriptUnit(IReadOnlyList<string> sources, IReadOnlyList<Type> records)
    {
        var schemas = records.Select(RecordSchema.Of).ToDictionary(r => r.Name);
        var body = string.Join("\n", sources);
        _entries = ScriptEntry.Find(body, schemas).ToDictionary(e => e.Name);
        Source = Expand(string.Concat(schemas.Values.Select(r => r.Accessors())) + body + "\n" +
                        string.Join("\n", _entries.Values.Select(e => e.WrapperSource())), schemas);
        _unit = new(() => jit.compile(Source), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The whole source as compiled (for error messages and tests).</summary>
    public string Source { get; }

    /// <summary>Record names in type positions (after ':', '->', '[' or ',') become their tuple types; comments stay.</summary>
    private static string Expand(string source, IReadOnlyDictionary<string, RecordSchema> records)
    {
        if (records.Count == 0) return source;
        var names = string.Join("|", records.Keys.Select(Regex.Escape));
        var type = new Regex($@"(?<=(:|->|\[|,)\s*)\b({names})\b(?!\s*\()");
        var lines = source.Split('\n').Select(line =>
        {
            var hash = line.IndexOf('#');
            var code = hash < 0 ? line : line[..hash];
            var expanded = type.Replace(code, m => records[m.Value].TorchType);
            // A record's own tuple type may name other records: expand until none is left.
            while (type.IsMatch(expanded)) expanded = type.Replace(expanded, m => records[m.Value].TorchType);
            return hash < 0 ? expanded : expanded + line[hash..];
        });
        return string.Join("\n", lines);
    }

    /// <summary>
    /// Calls an entry with its arguments in declared order: tensors, numbers, tensor lists as they are; a record as its
    /// leaves; a list of records as one list per leaf (kept per list instance: a shard's layers do not change).
    /// </summary>
    public T Call<T>(string entry, params object[] args)
    {
        var e = _entries.TryGetValue(entry, out var found) ? found
            : throw new InvalidOperationException($"the script has no '# @entry' function {entry}");
        if (args.Length != e.Parameters.Count)
            throw new ArgumentException($"{entry} takes {e.Parameters.Count} arguments, got {args.Length}");
        var flat = new List<object>();
        for (var i = 0; i < args.Length; i++)
        {
            var p = e.Parameters[i];
            if (p.Record is null) flat.Add(args[i]);
            else if (args[i] is IScriptConstant) flat.AddRange(_constants.GetValue(args[i], r => Pack(p.Record, r, detach: true)));
            else if (!p.IsList) flat.AddRange(Pack(p.Record, args[i], detach: false));
            else flat.AddRange(_lists.GetValue(args[i], list => Lists(p.Record, (System.Collections.IEnumerable)list)));
        }
        return ScriptCalls.Call<T>(_unit, e.Wrapper, [.. flat]);
    }

    /// <summary>
    /// A record as the wrapper takes it (<see cref="ScriptEntry.WrapperSource"/>): its tensor leaves in one list (if
    /// any), its numbers in one float64 tensor (if any), then each tensor-list leaf. A constant record's pack is kept
    /// with it, its numbers' tensor out of every dispose scope.
    /// </summary>
    private static object[] Pack(RecordSchema record, object value, bool detach)
    {
        var leaves = record.LeafKinds;
        var values = record.Values(value).ToList();
        var tensors = new List<Tensor>();
        var numbers = new List<double>();
        var lists = new List<object>();
        for (var j = 0; j < leaves.Count; j++)
            switch (leaves[j])
            {
                case ScriptLeaf.Tensor: tensors.Add((Tensor)values[j]); break;
                case ScriptLeaf.Int: numbers.Add((long)values[j]); break;
                case ScriptLeaf.Float: numbers.Add((double)values[j]); break;
                case ScriptLeaf.Bool: numbers.Add((bool)values[j] ? 1 : 0); break;
                default: lists.Add(values[j]); break;
            }
        var packed = new List<object>();
        if (tensors.Count > 0) packed.Add(tensors.ToArray());
        if (numbers.Count > 0)
        {
            var t = tensor(numbers.ToArray());
            packed.Add(detach ? t.DetachFromDisposeScope() : t);
        }
        packed.AddRange(lists);
        return [.. packed];
    }

    /// <summary>
    /// A list of records as the wrapper takes it (<see cref="ScriptEntry.WrapperSource"/>): its count, every tensor leaf
    /// leaf-major in one list, and every number leaf leaf-major in one float64 tensor (where it has any).
    /// </summary>
    private static object[] Lists(RecordSchema record, System.Collections.IEnumerable list)
    {
        var rows = list.Cast<object>().Select(r => record.Values(r).ToArray()).ToList();
        var leaves = record.Leaves("").ToList();
        var tensors = new List<Tensor>();
        var numbers = new List<double>();
        for (var j = 0; j < leaves.Count; j++)
            foreach (var value in rows.Select(r => r[j]))
                switch (leaves[j].Leaf)
                {
                    case ScriptLeaf.Tensor: tensors.Add((Tensor)value); break;
                    case ScriptLeaf.Int: numbers.Add((long)value); break;
                    case ScriptLeaf.Float: numbers.Add((double)value); break;
                    case ScriptLeaf.Bool: numbers.Add((bool)value ? 1 : 0); break;
                    default: throw new InvalidOperationException("a list of records holds no list fields");
                }
        object[] packed = [(long)rows.Count, tensors.ToArray()];
        return leaves.Any(l => l.Leaf != ScriptLeaf.Tensor) ? [.. packed, tensor(numbers.ToArray()).DetachFromDisposeScope()] : packed;
    }

    /// <summary>A script resource of the engine assembly.</summary>
    public static string Resource(string name)
    {
        using var stream = typeof(ScriptUnit).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the engine assembly lacks its {name} resource");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
