using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// Large escaped JSON strings unescaped into arrays of their own. System.Text.Json unescapes a string into a buffer it
/// rents from the shared ArrayPool, which keeps that buffer (one per thread and size class) after the request: a 30 MB
/// prompt full of \n would leave a 32 MB array behind on each thread that read one. Short or unescaped strings take the
/// usual path, which rents nothing large. The text was checked before (<see cref="JsonText"/>): escapes are sound.
/// </summary>
internal static class JsonStrings
{
    private const int Threshold = 64 * 1024;

    /// <summary>A JSON string element's value (the caller checked its kind).</summary>
    public static string Value(JsonElement e)
    {
        var quoted = JsonMarshal.GetRawUtf8Value(e);
        var raw = quoted[1..^1];
        return raw.Length < Threshold || raw.IndexOf((byte)'\\') < 0 ? e.GetString()! : Unescape(raw);
    }

    /// <summary>For the request's own string fields (a chat_template, say), the same way.</summary>
    public sealed class Converter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length >= Threshold
                ? Unescape(reader.ValueSpan) : reader.GetString();

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>The UTF-8 of an escaped string is never longer than its escaped form: one array of that size holds it.</summary>
    private static string Unescape(ReadOnlySpan<byte> escaped)
    {
        var bytes = new byte[escaped.Length];
        var n = 0;
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != '\\') { bytes[n++] = escaped[i]; continue; }
            var c = escaped[++i];
            if (c != 'u') { bytes[n++] = Simple(c); continue; }
            var unit = Hex4(escaped[(i + 1)..]);
            i += 4;
            var scalar = unit;
            if (char.IsHighSurrogate((char)unit))
            {
                scalar = char.ConvertToUtf32((char)unit, (char)Hex4(escaped[(i + 3)..]));
                i += 6;
            }
            n += new Rune(scalar).EncodeToUtf8(bytes.AsSpan(n));
        }
        return Encoding.UTF8.GetString(bytes, 0, n);
    }

    private static byte Simple(byte c) => c switch
    {
        (byte)'n' => (byte)'\n', (byte)'t' => (byte)'\t', (byte)'r' => (byte)'\r', (byte)'b' => (byte)'\b', (byte)'f' => (byte)'\f',
        _ => c, // \" \\ \/
    };

    private static int Hex4(ReadOnlySpan<byte> digits) =>
        int.Parse(Encoding.ASCII.GetString(digits[..4]), System.Globalization.NumberStyles.HexNumber);
}
