namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// Turns generated ids into text as they arrive. Holds back text while it ends in an incomplete UTF-8
/// character, so no U+FFFD leaks out mid-emoji; the pieces returned by Push and Flush add up to Decode(all ids).
/// </summary>
/// <remarks>
/// Decoding only a suffix of the ids changes the first token's text (SentencePiece drops a leading space),
/// so the window keeps the ids of the last emitted chunk as context and emits what comes after their text.
/// A run of byte-fallback tokens is held until a text token closes it: HF decodes a run that ends invalid as
/// U+FFFD throughout, so text already valid in it could still change.
/// </remarks>
public sealed class StreamingDecoder
{
    private readonly HfTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<int> _window = [];
    private int _contextCount;
    private string _contextText = "";
    private bool _inByteRun;

    internal StreamingDecoder(HfTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the text it completes, possibly "".</summary>
    public string Push(int id)
    {
        _window.Add(id);
        if (_tokenizer.IsDecoded(id, _skipSpecialTokens)) _inByteRun = _tokenizer.IsFallbackByte(id);
        if (_inByteRun) return "";
        var text = _tokenizer.Decode(_window, _skipSpecialTokens);
        if (text.Length <= _contextText.Length || text.EndsWith('\uFFFD') || !text.StartsWith(_contextText, StringComparison.Ordinal))
            return "";
        var completed = text[_contextText.Length..];
        _window.RemoveRange(0, _contextCount);
        _contextCount = _window.Count;
        _contextText = _tokenizer.Decode(_window, _skipSpecialTokens);
        return completed;
    }

    /// <summary>Returns whatever is held back (an incomplete character decodes to U+FFFD) and starts a new stream.</summary>
    public string Flush()
    {
        var text = _tokenizer.Decode(_window, _skipSpecialTokens);
        var rest = text.StartsWith(_contextText, StringComparison.Ordinal) ? text[_contextText.Length..] : "";
        _window.Clear();
        _contextCount = 0;
        _contextText = "";
        _inByteRun = false;
        return rest;
    }
}
