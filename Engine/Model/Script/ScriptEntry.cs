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
                // A record arrives packed: its tensor leaves in one list, its numbers in one float64 tensor, and each
                // tensor-list leaf as itself (ScriptUnit.Pack makes the same order).
                var own = p.Record.Leaves(p.Name).ToList();
                var tensorOf = Positions(own, l => l == ScriptLeaf.Tensor);
                var numberOf = Positions(own, l => l is ScriptLeaf.Int or ScriptLeaf.Float or ScriptLeaf.Bool);
                if (tensorOf.Count > 0) flat.Add($"{p.Name}__tensors: List[Tensor]");
                if (numberOf.Count > 0)
                {
                    flat.Add($"{p.Name}__numbers: Tensor");
                    body.Append($"    {p.Name}__n: List[float] = {p.Name}__numbers.tolist()\n");
                }
                foreach (var (path, leaf) in own.Where(l => l.Leaf == ScriptLeaf.TensorList)) flat.Add($"{path}: List[Tensor]");
                body.Append($"    {p.Name} = {p.Record.Build(p.Name, (path, leaf) => leaf switch
                {
                    ScriptLeaf.Tensor => $"{p.Name}__tensors[{tensorOf[path]}]",
                    ScriptLeaf.Int => $"int({p.Name}__n[{numberOf[path]}])",
                    ScriptLeaf.Float => $"{p.Name}__n[{numberOf[path]}]",
                    ScriptLeaf.Bool => $"{p.Name}__n[{numberOf[path]}] != 0.0",
                    _ => path,
                })}\n");
                continue;
            }
            // A list of records arrives packed, leaf-major: every tensor leaf of every record in one list (leaf k of
            // record i at k·count + i) and every number leaf in one float64 tensor, so a call passes three arguments
            // whatever the records hold (each argument costs TorchSharp a conversion).
            var count = $"{p.Name}__count";
            var leaves = p.Record.Leaves(p.Name).ToList();
            flat.Add($"{count}: int");
            flat.Add($"{p.Name}__tensors: List[Tensor]");
            if (leaves.Any(l => l.Leaf != ScriptLeaf.Tensor))
            {
                flat.Add($"{p.Name}__numbers: Tensor");
                body.Append($"    {p.Name}__n: List[float] = {p.Name}__numbers.tolist()\n");
            }
            var tensorAt = leaves.Where(l => l.Leaf == ScriptLeaf.Tensor).Select((l, k) => (l.Path, k)).ToDictionary(x => x.Path, x => x.k);
            var numberAt = leaves.Where(l => l.Leaf != ScriptLeaf.Tensor).Select((l, k) => (l.Path, k)).ToDictionary(x => x.Path, x => x.k);
            var element = p.Record.Build(p.Name, (path, leaf) => leaf switch
            {
                ScriptLeaf.Tensor => $"{p.Name}__tensors[{tensorAt[path]} * {count} + i]",
                ScriptLeaf.Int => $"int({p.Name}__n[{numberAt[path]} * {count} + i])",
                ScriptLeaf.Float => $"{p.Name}__n[{numberAt[path]} * {count} + i]",
                _ => $"{p.Name}__n[{numberAt[path]} * {count} + i] != 0.0",
            });
            body.Append($"    {p.Name} = [{element} for i in range({count})]\n");
        }
        return $"def {Wrapper}({string.Join(", ", flat)}) -> {Returns}:\n{body}    return {Name}({string.Join(", ", args)})\n";
    }

    /// <summary>Each chosen leaf's index among the chosen, by path.</summary>
    private static Dictionary<string, int> Positions(List<(string Path, ScriptLeaf Leaf)> leaves, Func<ScriptLeaf, bool> chosen) =>
        leaves.Where(l => chosen(l.Leaf)).Select((l, k) => (l.Path, k)).ToDictionary(x => x.Path, x => x.k);

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
