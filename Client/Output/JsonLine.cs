using System.Text.Json;

namespace OrleansLlm.Client.Output;

/// <summary>The one JSON object a --json command prints as its last line of stdout.</summary>
internal static class JsonLine
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Write(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
