using System.Text.Json;

namespace OrleansLlm.Engine.Config;

/// <summary>Typed reads of a JSON object, failing with the key's name and the file it came from.</summary>
internal sealed class JsonConfig(JsonElement root, string source)
{
    public string Source => source;

    public int Int(string key) => TryGet(key, out var v) ? ToInt(key, v) : throw Missing(key);
    public double Double(string key) => TryGet(key, out var v) ? ToDouble(key, v) : throw Missing(key);
    public int IntOr(string key, int fallback) => TryGet(key, out var v) ? ToInt(key, v) : fallback;
    public double DoubleOr(string key, double fallback) => TryGet(key, out var v) ? ToDouble(key, v) : fallback;

    public bool BoolOr(string key, bool fallback) =>
        TryGet(key, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Wrong(key, "true or false"),
            }
            : fallback;

    public string? StringOr(string key, string? fallback) =>
        TryGet(key, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(key, "a string") : fallback;

    public string[] StringArray(string key) =>
        TryGet(key, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.GetString() ?? "").ToArray()
            : [];

    public double[] DoubleArray(string key) =>
        TryGet(key, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble() : throw Wrong(key, "a list of numbers")).ToArray()
            : [];

    public int[] IntArray(string key) =>
        TryGet(key, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out var i) ? i : throw Wrong(key, "a list of integers")).ToArray()
            : [];

    public bool Has(string key) => TryGet(key, out _);

    public JsonConfig? Object(string key) =>
        TryGet(key, out var v) && v.ValueKind == JsonValueKind.Object ? new JsonConfig(v, $"{source}:{key}") : null;

    private bool TryGet(string key, out JsonElement value)
    {
        value = default;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(key, out value)) return false;
        return value.ValueKind != JsonValueKind.Null;
    }

    private int ToInt(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw Wrong(key, "an integer");

    private double ToDouble(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Wrong(key, "a number");

    private ModelConfigException Missing(string key) => new($"{source}: missing '{key}'");
    private ModelConfigException Wrong(string key, string what) => new($"{source}: '{key}' must be {what}");
}
