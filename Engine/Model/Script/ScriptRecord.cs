using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Script;

/// <summary>
/// A C# record the layer scripts read by name. TorchScript compiled from source has no classes, and TorchSharp passes
/// only tensors, scalars and lists of tensors, so a record travels as its leaves and the script sees a tuple: the
/// schema here, read from the record's properties in declaration order, gives the script its type
/// (<see cref="TorchType"/>), an accessor per field (<c>Layer_qkv(w)</c>), and the function that rebuilds it from its
/// leaves. The record is declared once, in C#; nothing else knows a field's position.
/// </summary>
internal interface IScriptRecord;

/// <summary>
/// A record whose instances a shard passes to every call unchanged (its shape): its leaves are converted once per
/// instance and kept, not made and freed on every call.
/// </summary>
internal interface IScriptConstant : IScriptRecord;

/// <summary>
/// One field of a record: its script name, and its type (a leaf or another record); <see cref="Read"/> is its getter
/// compiled once (a step packs its record on every call; reflection's GetValue showed in a small model's step profile).
/// </summary>
internal sealed record ScriptField(string Name, PropertyInfo Property, ScriptLeaf? Leaf, RecordSchema? Record)
{
    public Func<object, object?> Read { get; } = Getter(Property);

    private static Func<object, object?> Getter(PropertyInfo p)
    {
        var record = Expression.Parameter(typeof(object));
        var value = Expression.Property(Expression.Convert(record, p.DeclaringType!), p);
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(value, typeof(object)), record).Compile();
    }
}

/// <summary>The kinds a record's leaf may have, with their TorchScript types.</summary>
internal enum ScriptLeaf { Tensor, Int, Float, Bool, TensorList }

internal sealed class RecordSchema
{
    private static readonly ConcurrentDictionary<Type, RecordSchema> Schemas = new();

    /// <summary>The fields are the record's primary-constructor parameters, in order (computed properties are not fields).</summary>
    private RecordSchema(Type type)
    {
        Name = type.Name;
        var primary = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).MaxBy(c => c.GetParameters().Length)
            ?? throw new InvalidOperationException($"{type.Name}: a script record is a positional record");
        Fields = primary.GetParameters().Select(p => Field(type.GetProperty(p.Name!)!)).ToArray();
    }

    public static RecordSchema Of(Type type) => Schemas.GetOrAdd(type, t => new RecordSchema(t));

    public static RecordSchema Of<T>() where T : IScriptRecord => Of(typeof(T));

    public string Name { get; }
    public IReadOnlyList<ScriptField> Fields { get; }

    private static ScriptField Field(PropertyInfo p)
    {
        var name = Snake(p.Name);
        var t = p.PropertyType;
        if (typeof(IScriptRecord).IsAssignableFrom(t)) return new(name, p, null, Of(t));
        ScriptLeaf leaf = t == typeof(Tensor) ? ScriptLeaf.Tensor
            : t == typeof(long) ? ScriptLeaf.Int
            : t == typeof(double) ? ScriptLeaf.Float
            : t == typeof(bool) ? ScriptLeaf.Bool
            : t == typeof(Tensor[]) ? ScriptLeaf.TensorList
            : throw new InvalidOperationException($"{p.DeclaringType!.Name}.{p.Name}: a script record field is a Tensor, long, double, bool, Tensor[] or a record");
        return new(name, p, leaf, null);
    }

    /// <summary>The tuple type the script sees for this record.</summary>
    public string TorchType => $"Tuple[{string.Join(", ", Fields.Select(f => f.Record?.TorchType ?? LeafType(f.Leaf!.Value)))}]";

    public static string LeafType(ScriptLeaf leaf) => leaf switch
    {
        ScriptLeaf.Tensor => "Tensor",
        ScriptLeaf.Int => "int",
        ScriptLeaf.Float => "float",
        ScriptLeaf.Bool => "bool",
        _ => "List[Tensor]",
    };

    /// <summary><c>def Name_field(r: Name) -> T: return r[i]</c> for every field (TorchScript inlines them).</summary>
    public string Accessors()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Fields.Count; i++)
        {
            var f = Fields[i];
            text.Append($"def {Name}_{f.Name}(r: {Name}) -> {f.Record?.Name ?? LeafType(f.Leaf!.Value)}:\n    return r[{i}]\n\n");
        }
        return text.ToString();
    }

    /// <summary>The kinds of the record's leaves in <see cref="Leaves"/>' order, worked out once (calls pack by them).</summary>
    public IReadOnlyList<ScriptLeaf> LeafKinds => _leafKinds ??= Leaves("").Select(l => l.Leaf).ToArray();
    private ScriptLeaf[]? _leafKinds;

    /// <summary>The leaves of a record, depth first, as (path, leaf kind): what crosses into the script.</summary>
    public IEnumerable<(string Path, ScriptLeaf Leaf)> Leaves(string prefix)
    {
        foreach (var f in Fields)
        {
            if (f.Record is { } inner)
                foreach (var leaf in inner.Leaves($"{prefix}__{f.Name}")) yield return leaf;
            else yield return ($"{prefix}__{f.Name}", f.Leaf!.Value);
        }
    }

    /// <summary>The script expression that rebuilds the record from its leaves (<paramref name="leafAt"/> names each leaf's value).</summary>
    public string Build(string prefix, Func<string, ScriptLeaf, string> leafAt)
    {
        var parts = Fields.Select(f => f.Record is { } inner
            ? inner.Build($"{prefix}__{f.Name}", leafAt)
            : leafAt($"{prefix}__{f.Name}", f.Leaf!.Value)).ToList();
        return parts.Count == 1 ? $"({parts[0]},)" : $"({string.Join(", ", parts)})";
    }

    /// <summary>The leaf values of one record, in <see cref="Leaves"/>' order.</summary>
    public IEnumerable<object> Values(object record)
    {
        foreach (var f in Fields)
        {
            var value = f.Read(record) ?? throw new InvalidOperationException($"{Name}.{f.Property.Name} is null");
            if (f.Record is { } inner)
                foreach (var v in inner.Values(value)) yield return v;
            else yield return value;
        }
    }

    private static string Snake(string pascal)
    {
        var text = new StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0 && (char.IsLower(pascal[i - 1]) || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1]))))
                text.Append('_');
            text.Append(char.ToLowerInvariant(pascal[i]));
        }
        return text.ToString();
    }
}
