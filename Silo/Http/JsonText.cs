using System.Text;
using System.Text.Unicode;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// What makes a JSON body's text unreadable before any parsing: bytes that are not UTF-8, and \u escapes that name half
/// of a surrogate pair (\ud800 alone), which no string can hold. System.Text.Json reports both as a failure to convert
/// a value to a .NET type, or not until a value is read; found here, they are the client's 400 with a plain reason.
/// </summary>
internal static class JsonText
{
    /// <summary>The first problem in one line, or null when the text is sound.</summary>
    public static string? Problem(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json)) return $"the body is not valid UTF-8 (byte {FirstInvalidByte(json)}); JSON text must be UTF-8";
        for (var i = json.IndexOf((byte)'\\'); i >= 0 && i + 1 < json.Length; i = Next(json, i))
        {
            if (json[i + 1] != 'u') continue;
            var unit = Hex4(json, i + 2);
            var paired = IsHigh(unit) && i + 7 < json.Length && json[i + 6] == '\\' && json[i + 7] == 'u' && IsLow(Hex4(json, i + 8));
            if (IsLow(unit) || (IsHigh(unit) && !paired))
                return $"the body has a lone surrogate escape \\u{unit:x4} (byte {i}); JSON strings must be valid Unicode";
        }
        return null;
    }

    private static bool IsHigh(int unit) => unit is >= 0xD800 and <= 0xDBFF;

    private static bool IsLow(int unit) => unit is >= 0xDC00 and <= 0xDFFF;

    /// <summary>The next backslash after the escape at <paramref name="i"/> (a surrogate pair is skipped whole).</summary>
    private static int Next(ReadOnlySpan<byte> json, int i)
    {
        var skip = json[i + 1] != 'u' ? 2 : IsHigh(Hex4(json, i + 2)) ? 12 : 6;
        var from = Math.Min(json.Length, i + skip);
        var next = json[from..].IndexOf((byte)'\\');
        return next < 0 ? -1 : from + next;
    }

    /// <summary>The four hex digits at <paramref name="at"/>, or -1 (a malformed escape is the JSON reader's to report).</summary>
    private static int Hex4(ReadOnlySpan<byte> json, int at)
    {
        if (at + 4 > json.Length) return -1;
        var value = 0;
        foreach (var b in json.Slice(at, 4))
        {
            var digit = HexDigit(b);
            if (digit < 0) return -1;
            value = value * 16 + digit;
        }
        return value;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static int FirstInvalidByte(ReadOnlySpan<byte> json)
    {
        for (var i = 0; i < json.Length;)
        {
            if (Rune.DecodeFromUtf8(json[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return json.Length;
    }
}
