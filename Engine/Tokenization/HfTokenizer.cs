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
    private readonly Func<IEnumerable<PreToken>, IEnumerable<PreToken>> _preTokenizer;
    private readonly Func<List<int>, List<int>> _postProcessor;
    private readonly Func<List<string>, List<string>>? _decoder;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly string?[] _idToToken;
    private readonly FrozenSet<int> _specialIds;
    private readonly bool _decodesByteRuns;
    private long _piecesEncoded;

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
        MaxCharsPerToken = TokenReach.MaxChars(root, _model, added);
    }

    public int VocabSize => _idToToken.Length;

    public IReadOnlySet<int> SpecialTokenIds => _specialIds;

    /// <summary>At most how many characters of input one token stands for; null when this tokenizer has no such bound.</summary>
    public int? MaxCharsPerToken { get; }

    /// <summary>
    /// Whether a text of this length is certainly more than <paramref name="maxTokens"/> tokens, known without
    /// tokenizing it: each token covers at most <see cref="MaxCharsPerToken"/> characters.
    /// </summary>
    public bool CannotFit(long textLength, int maxTokens) => MaxCharsPerToken is { } m && textLength > (long)maxTokens * m;

    /// <summary>Pieces run through BPE since load: the work Encode did (tests read it to see a limited Encode stop early).</summary>
    internal long PiecesEncoded => Interlocked.Read(ref _piecesEncoded);

    /// <summary>
    /// A model folder's tokenizer as transformers 5's AutoTokenizer loads it: tokenizer.json with the pipeline of the class
    /// that tokenizer_config.json and config.json's model_type pick (see <see cref="TransformersLoading"/>).
    /// </summary>
    public static HfTokenizer Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path)) throw new TokenizerException($"tokenizer.json not found in {modelDir}");
        return FromJson(File.ReadAllText(path), TokenizerConfig.Load(modelDir));
    }

    /// <summary>tokenizer.json read with a folder's tokenizer settings, as <see cref="Load"/> reads a folder.</summary>
    public static HfTokenizer FromJson(string tokenizerJson, TokenizerConfig config) =>
        FromJson(TransformersLoading.Apply(tokenizerJson, config) ?? tokenizerJson);

    /// <summary>tokenizer.json alone, as the tokenizers library reads it (Tokenizer.from_file).</summary>
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
    public int[] Encode(string text, bool addSpecialTokens = true) => Encode(text, addSpecialTokens, int.MaxValue, default);

    /// <summary>
    /// The first <paramref name="maxTokens"/> + 1 ids of <see cref="Encode(string, bool)"/>'s (all of them when there are
    /// fewer), pulling pieces only until the ids pass the limit: a caller learns that a text does not fit without the rest
    /// of it being tokenized. <paramref name="cancellation"/> is checked between pieces.
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens, int maxTokens, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var ids = new List<int>();
        var pieces = 0L;
        foreach (var (addedId, piece) in Pieces(text))
        {
            cancellation.ThrowIfCancellationRequested();
            if (addedId is { } id) ids.Add(id);
            else { _model.Encode(piece!, ids); pieces++; }
            if (ids.Count > maxTokens) break;
        }
        Interlocked.Add(ref _piecesEncoded, pieces);
        // Special tokens go around the ids: once the text's own ids passed the limit, the first maxTokens + 1 of
        // the whole are already known.
        var all = addSpecialTokens ? _postProcessor(ids) : ids;
        return (all.Count - 1 > maxTokens ? all.GetRange(0, maxTokens + 1) : all).ToArray();
    }

    /// <summary>The text as added tokens' ids and pre-tokenized pieces for BPE, in order, lazily.</summary>
    private IEnumerable<(int? AddedId, string? Piece)> Pieces(string text)
    {
        foreach (var (start, end, token) in _rawMatcher.Split(text))
        {
            if (token is not null) { yield return (token.Id, null); continue; }
            var normalized = _normalizer(text[start..end]);
            foreach (var (s, e, normalizedToken) in _normalizedMatcher.Split(normalized))
            {
                if (normalizedToken is not null) { yield return (normalizedToken.Id, null); continue; }
                var first = new PreToken(normalized[s..e], AtInputStart: start == 0 && s == 0);
                foreach (var piece in _preTokenizer([first])) yield return (null, piece.Text);
            }
        }
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
