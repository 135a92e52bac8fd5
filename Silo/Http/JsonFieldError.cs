using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// A JSON value of the wrong kind for a request field, in the client's words. System.Text.Json's message names the .NET
/// type it could not make (<c>System.Nullable`1[System.Int32]</c>); this names the field by its path in snake_case
/// (<c>max_tokens</c>, <c>messages[0].role</c>) and says what it must be ("an integer").
/// </summary>
internal static partial class JsonFieldError
{
    public static ApiError From(JsonException e, Type request)
    {
        var (path, type) = Walk(request, e.Path ?? "$");
        if (path.Length == 0) return ApiError.BadRequest("the body must be a JSON object");
        return ApiError.BadRequest($"{path} must be {(type is null ? "of another kind" : Expected(type))}", path);
    }

    /// <summary>The path with our field names, and the type the value should have had (null where it leaves our types).</summary>
    private static (string Path, Type? Type) Walk(Type root, string jsonPath)
    {
        var path = "";
        Type? type = root;
        foreach (Match m in Segment().Matches(jsonPath))
        {
            if (m.Groups["index"].Success)
            {
                path += $"[{m.Groups["index"].Value}]";
                type = type is null ? null : ElementType(type);
                continue;
            }
            var name = m.Groups["name"].Success ? m.Groups["name"].Value : m.Groups["quoted"].Value;
            var property = type?.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .FirstOrDefault(p => string.Equals(JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), name, StringComparison.OrdinalIgnoreCase));
            path += (path.Length == 0 ? "" : ".") + (property is null ? name : JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
            type = property?.PropertyType;
        }
        return (path, type);
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(string)) return "a string";
        if (ElementType(type) is not null) return "a list";
        return "an object";
    }

    /// <summary>"$.a.b[0]" and "$['a b']": a name, a quoted name, or an index.</summary>
    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>(?:[^']|'')*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex Segment();
}
