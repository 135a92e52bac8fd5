using System.Text;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-char table: every byte gets a printable char so that BPE vocabularies can be
/// plain strings (space becomes 'Ġ', newline 'Ċ').
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>The 256 characters that stand for bytes.</summary>
    public static IReadOnlyList<char> Chars => ByteToChar;

    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// Appends a token's bytes. Like HF, a token with any char outside the table (an added token such as
    /// "&lt;|im_start|&gt;" written in plain text) contributes its own UTF-8 bytes instead.
    /// </summary>
    public static void AppendBytes(string token, List<byte> output)
    {
        var start = output.Count;
        foreach (var c in token)
        {
            if (CharToByte.TryGetValue(c, out var b)) { output.Add(b); continue; }
            output.RemoveRange(start, output.Count - start);
            output.AddRange(Encoding.UTF8.GetBytes(token));
            return;
        }
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
