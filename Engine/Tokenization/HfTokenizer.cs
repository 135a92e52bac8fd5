using System.Collections.Frozen;
using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json with a BPE model: byte-level (GPT-2, Llama 3, Qwen2) or SentencePiece
/// style with byte fallback (Llama 2, Mistral). Immutable and safe to share between threads.
/// </summary>
public sealed class HfTokenizer
{
    private readonly BpeModel _model;
    private readonly AddedTokenMatcher _rawMatcher;
    private readonly AddedTokenMatcher _normalizedMatcher;
    private readonly Func<string, string> _normalizer;
    private readonly Func<List<PreToken>, List<PreToken>> _preTokenizer;
    private readonly Func<List<int>, List<int>> _postProcessor;
    private readonly Func<List<string>, List<string>>? _decoder;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly string?[] _idToToken;
    private readonly FrozenSet<int> _specialIds;
    private readonly bool _decodesByteRuns;

    private HfTokenizer(JsonElement root)
    {
        _model = BpeModel.FromJson(root.Child("model") ?? throw new TokenizerException("tokenizer.json has no 'model'"));
        _normalizer = Normalizers.FromJson(root.Child("normalizer"));
        _preTokenizer = PreTokenizers.FromJson(root.Child("pre_tokenizer"));
        _postProcessor = PostProcessors.FromJson(root.Child("post_processor"));
        _decoder = Decoders.FromJson(root.Child("decoder"));
        var added = root.Items("added_tokens").Select(AddedToken.FromJson).ToList();
        _rawMatcher = new AddedTokenMatcher(added.Where(t => !t.Normalized));
        _normalizedMatcher = new AddedTokenMatcher(added.Where(t => t.Normalized));
        _addedByContent = added.GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.Last().Id);
        _specialIds = added.Where(t => t.Special).Select(t => t.Id).ToFrozenSet();
        _idToToken = BuildIdToToken(_model.Vocab, added);
        _decodesByteRuns = Decoders.UsesByteFallback(root.Child("decoder"));
    }

    public int VocabSize => _idToToken.Length;

    public IReadOnlySet<int> SpecialTokenIds => _specialIds;

    public static HfTokenizer Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path)) throw new TokenizerException($"tokenizer.json not found in {modelDir}");
        return FromJson(File.ReadAllText(path));
    }

    public static HfTokenizer FromJson(string tokenizerJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(tokenizerJson);
            return new HfTokenizer(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"tokenizer.json is not valid JSON: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A field of the wrong JSON kind, e.g. a string where an id should be.
            throw new TokenizerException($"tokenizer.json has an unexpected value: {e.Message}");
        }
    }

    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var id) || _model.Vocab.TryGetValue(token, out id) ? id : null;

    /// <summary>
    /// Added tokens are cut out of the raw text first; each span between them is normalized on its own,
    /// searched for normalized added tokens, pre-tokenized, and run through BPE.
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>();
        foreach (var (start, end, token) in _rawMatcher.Split(text))
        {
            if (token is not null) { ids.Add(token.Id); continue; }
            var normalized = _normalizer(text[start..end]);
            foreach (var (s, e, normalizedToken) in _normalizedMatcher.Split(normalized))
            {
                if (normalizedToken is not null) { ids.Add(normalizedToken.Id); continue; }
                var first = new PreToken(normalized[s..e], AtInputStart: start == 0 && s == 0);
                foreach (var piece in _preTokenizer([first])) _model.Encode(piece.Text, ids);
            }
        }
        return (addSpecialTokens ? _postProcessor(ids) : ids).ToArray();
    }

    /// <summary>Unknown ids are skipped; with no decoder, tokens are joined by spaces as HF does.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            if (IsDecoded(id, skipSpecialTokens)) tokens.Add(_idToToken[id]!);
        }
        return _decoder is null ? string.Join(' ', tokens) : string.Concat(_decoder(tokens));
    }

    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    /// <summary>Whether Decode would use this id's token at all.</summary>
    internal bool IsDecoded(int id, bool skipSpecialTokens) =>
        (uint)id < (uint)_idToToken.Length && _idToToken[id] is not null && !(skipSpecialTokens && _specialIds.Contains(id));

    /// <summary>Whether the id is a "&lt;0xAB&gt;" token that the decoder fuses with its neighbours.</summary>
    internal bool IsFallbackByte(int id) =>
        _decodesByteRuns && (uint)id < (uint)_idToToken.Length && _idToToken[id] is { } token
        && Decoders.TryParseByteToken(token, out _);

    private static string?[] BuildIdToToken(IReadOnlyDictionary<string, int> vocab, List<AddedToken> added)
    {
        var maxId = vocab.Values.Concat(added.Select(t => t.Id)).DefaultIfEmpty(-1).Max();
        var table = new string?[maxId + 1];
        foreach (var (token, id) in vocab)
            if (id >= 0) table[id] = token;
        foreach (var t in added)
            if (t.Id >= 0) table[t.Id] = t.Content;
        return table;
    }
}
