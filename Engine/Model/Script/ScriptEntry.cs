using System.Text;
using System.Text.RegularExpressions;

namespace OrleansLlm.Engine.Model.Script;

/// <summary>
/// A function the C# side calls, marked <c># @entry</c> in a script: its parameters as declared (records by their
/// names), and the wrapper that takes their leaves flat (what TorchSharp can pass) and rebuilds the records first.
/// </summary>
internal sealed partial class ScriptEntry
{
    public sealed record Parameter(string Name, string Type, RecordSchema? Record, bool IsList);

    private ScriptEntry(string name, IReadOnlyList<Parameter> parameters, string returns)
    {
        Name = name;
        Parameters = parameters;
        Returns = returns;
    }

    public string Name { get; }
    public IReadOnlyList<Parameter> Parameters { get; }
    public string Returns { get; }

    /// <summary>The wrapper's name: what the unit is invoked with.</summary>
    public string Wrapper => Name + "__entry";

    /// <summary>Every <c># @entry</c> function of a source, its record-typed parameters resolved against <paramref name="records"/>.</summary>
    public static IEnumerable<ScriptEntry> Find(string source, IReadOnlyDictionary<string, RecordSchema> records)
    {
        foreach (Match m in EntryPattern().Matches(source))
        {
            var parameters = SplitTopLevel(m.Groups["params"].Value)
                .Select(p => p.Split(':', 2))
                .Select(p => Resolve(p[0].Trim(), p[1].Trim(), records, m.Groups["name"].Value))
                .ToList();
            yield return new ScriptEntry(m.Groups["name"].Value, parameters, m.Groups["returns"].Value.Trim());
        }
    }

    private static Parameter Resolve(string name, string type, IReadOnlyDictionary<string, RecordSchema> records, string entry)
    {
        var list = type.StartsWith("List[", StringComparison.Ordinal) && type.EndsWith(']');
        var element = list ? type[5..^1] : type;
        if (records.TryGetValue(element, out var record))
        {
            if (list && record.Leaves("").Any(l => l.Leaf == ScriptLeaf.TensorList))
                throw new InvalidOperationException($"{entry}({name}): a list of {element} cannot hold a list field");
            return new Parameter(name, type, record, list);
        }
        return new Parameter(name, type, null, false);
    }

    /// <summary>The wrapper's source: flat leaf parameters in, records rebuilt, the entry called.</summary>
    public string WrapperSource()
    {
        var flat = new List<string>();
        var body = new StringBuilder();
        var args = new List<string>();
        foreach (var p in Parameters)
        {
            args.Add(p.Name);
            if (p.Record is null) { flat.Add($"{p.Name}: {p.Type}"); continue; }
            if (!p.IsList)
            {
                foreach (var (path, leaf) in p.Record.Leaves(p.Name)) flat.Add($"{path}: {RecordSchema.LeafType(leaf)}");
                body.Append($"    {p.Name} = {p.Record.Build(p.Name, (path, _) => path)}\n");
                continue;
            }
            // A list of records arrives as one list per leaf: tensors as List[Tensor], numbers as a 1-D tensor.
            flat.Add($"{p.Name}__count: int");
            foreach (var (path, leaf) in p.Record.Leaves(p.Name))
            {
                if (leaf == ScriptLeaf.Tensor) { flat.Add($"{path}: List[Tensor]"); continue; }
                flat.Add($"{path}: Tensor");
                body.Append($"    {path}_: List[{RecordSchema.LeafType(leaf)}] = {path}.tolist()\n");
            }
            var element = p.Record.Build(p.Name, (path, leaf) => leaf == ScriptLeaf.Tensor ? $"{path}[i]" : $"{path}_[i]");
            body.Append($"    {p.Name} = [{element} for i in range({p.Name}__count)]\n");
        }
        return $"def {Wrapper}({string.Join(", ", flat)}) -> {Returns}:\n{body}    return {Name}({string.Join(", ", args)})\n";
    }

    /// <summary>Splits a parameter list at the commas outside brackets.</summary>
    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '[' => 1, ']' => -1, _ => 0 };
            if (text[i] != ',' || depth != 0) continue;
            if (text[start..i].Trim().Length > 0) yield return text[start..i];
            start = i + 1;
        }
        if (text[start..].Trim().Length > 0) yield return text[start..];
    }

    [GeneratedRegex(@"^# @entry\s*\ndef (?<name>\w+)\((?<params>[^)]*)\)\s*->\s*(?<returns>[^:]+):", RegexOptions.Multiline)]
    private static partial Regex EntryPattern();
}
