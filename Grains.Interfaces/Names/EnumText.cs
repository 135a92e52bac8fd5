using System.Reflection;

namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// Parses and names the closed sets (strategy, prefill, all-reduce, dtype, deployment state) by their
/// <see cref="NamesAttribute"/>: text becomes a value once, where it enters, and a value prints as its first name.
/// </summary>
public static class EnumText<T> where T : struct, Enum
{
    private static readonly (T Value, string[] Names)[] Table = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => ((T)f.GetValue(null)!, f.GetCustomAttribute<NamesAttribute>()?.Names ?? [f.Name.ToLowerInvariant()]))
        .ToArray();

    /// <summary>The value named by <paramref name="text"/> (case-insensitive), or an <see cref="ArgumentException"/> naming the choices.</summary>
    public static T Parse(string? text, string what)
    {
        var wanted = text?.Trim() ?? "";
        foreach (var (value, names) in Table)
            if (names.Any(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase))) return value;
        throw new ArgumentException($"unknown {what} '{text}' (use {Choices})");
    }

    public static string Name(T value) => Table.First(e => e.Value.Equals(value)).Names[0];

    /// <summary>The first names, for help texts and errors: "a, b or c".</summary>
    public static string Choices
    {
        get
        {
            var names = Table.Select(e => e.Names[0]).ToArray();
            return names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
        }
    }
}
