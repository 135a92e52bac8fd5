using System.Text.Encodings.Web;

namespace OrleansLlm.Grains.Interfaces.Text;

/// <summary>
/// JSON text as plain UTF-8: only what JSON itself requires is escaped (quote, backslash, control characters, and a
/// lone surrogate, which UTF-8 cannot carry). The relaxed encoder of System.Text.Json still writes every character
/// outside the basic plane (an emoji in a generated story) as a \uD83D\uDE00 pair; this is not HTML, so nothing else
/// needs hiding.
/// </summary>
public sealed class PlainJsonEncoder : JavaScriptEncoder
{
    public static readonly PlainJsonEncoder Instance = new();

    private PlainJsonEncoder() { }

    public override int MaxOutputCharactersPerInputCharacter => 6; // \uXXXX

    public override bool WillEncode(int unicodeScalar) =>
        unicodeScalar < 0x20 || unicodeScalar is '"' or '\\' || unicodeScalar is >= 0xD800 and <= 0xDFFF;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (var i = 0; i < textLength; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < textLength && char.IsLowSurrogate(text[i + 1]))
            {
                i++; // a whole pair: written as it is
                continue;
            }
            if (WillEncode(c)) return i;
        }
        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        var text = unicodeScalar switch
        {
            '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '\b' => "\\b", '\f' => "\\f",
            _ when WillEncode(unicodeScalar) => $"\\u{unicodeScalar:X4}",
            _ => char.ConvertFromUtf32(unicodeScalar),
        };
        numberOfCharactersWritten = 0;
        if (text.Length > bufferLength) return false;
        for (var i = 0; i < text.Length; i++) buffer[i] = text[i];
        numberOfCharactersWritten = text.Length;
        return true;
    }
}
