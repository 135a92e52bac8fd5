using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// The BPE model of tokenizer.json: splits one pre-token into chars and applies merges lowest rank first
/// (leftmost on ties), exactly as HF tokenizers does, with byte fallback, unk fusing and ignore_merges.
/// </summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 10_000;
    private const int MaxCachedLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly int? _unkId;
    private readonly bool _fuseUnk;
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly string? _subwordPrefix;
    private readonly string? _wordSuffix;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();
    private int _cacheCount; // ConcurrentDictionary.Count takes every lock, too slow to ask per word

    private BpeModel(JsonElement model, Dictionary<string, int> vocab)
    {
        _vocab = vocab;
        _subwordPrefix = NullIfEmpty(model.Str("continuing_subword_prefix"));
        _wordSuffix = NullIfEmpty(model.Str("end_of_word_suffix"));
        _merges = ReadMerges(model);
        _unkId = model.Str("unk_token") is { } unk && vocab.TryGetValue(unk, out var id) ? id : null;
        _fuseUnk = model.Bool("fuse_unk", false);
        _byteFallback = model.Bool("byte_fallback", false);
        _ignoreMerges = model.Bool("ignore_merges", false);
    }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    public static BpeModel FromJson(JsonElement model)
    {
        var type = model.Str("type") ?? (model.Child("merges") is null ? "unknown" : "BPE");
        if (type != "BPE") throw JsonRead.Unsupported("tokenizer model", type, "BPE");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (model.Child("vocab") is { ValueKind: JsonValueKind.Object } v)
            foreach (var entry in v.EnumerateObject()) vocab[entry.Name] = entry.Value.GetInt32();
        return new BpeModel(model, vocab);
    }

    /// <summary>
    /// The longest vocab entry in units, when every character of a piece comes out as at least one token of its own or
    /// part of one; null when an unknown character can vanish (no byte fallback, no unk) or unknown runs fuse into one.
    /// </summary>
    internal int? LongestToken(bool byteLevelPieces)
    {
        var covered = (_byteFallback && Enumerable.Range(0, 256).All(b => _vocab.ContainsKey($"<0x{b:X2}>")))
            || (_unkId is not null && !_fuseUnk)
            || (byteLevelPieces && _subwordPrefix is null && _wordSuffix is null
                && ByteLevelAlphabet.Chars.All(c => _vocab.ContainsKey(c.ToString())));
        return covered ? _vocab.Keys.Select(k => k.Length).DefaultIfEmpty(0).Max() : null;
    }

    /// <summary>Appends the ids of one pre-token.</summary>
    public void Encode(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (_ignoreMerges && _vocab.TryGetValue(word, out var whole)) { output.Add(whole); return; }
        if (_cache.TryGetValue(word, out var cached)) { output.AddRange(cached); return; }
        var ids = Merge(InitialSymbols(word));
        if (word.Length <= MaxCachedLength && _cacheCount < CacheCapacity && _cache.TryAdd(word, ids))
            Interlocked.Increment(ref _cacheCount);
        output.AddRange(ids);
    }

    /// <summary>One symbol per char; a char missing from the vocab becomes its byte tokens or unk.</summary>
    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        var lastWasUnk = false;
        for (var i = 0; i < word.Length;)
        {
            var len = char.IsSurrogatePair(word, i) ? 2 : 1;
            var piece = word.Substring(i, len);
            if (_subwordPrefix is not null && i > 0) piece = _subwordPrefix + piece;
            i += len;
            if (_wordSuffix is not null && i == word.Length) piece += _wordSuffix;
            if (_vocab.TryGetValue(piece, out var id)) symbols.Add(id);
            else if (_byteFallback && TryAddByteTokens(piece, symbols)) { }
            else if (_unkId is int unk)
            {
                if (!(_fuseUnk && lastWasUnk)) symbols.Add(unk);
                lastWasUnk = true;
                continue;
            }
            lastWasUnk = false;
        }
        return symbols;
    }

    private bool TryAddByteTokens(string piece, List<int> symbols)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var ids = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
            if (!_vocab.TryGetValue($"<0x{bytes[i]:X2}>", out ids[i])) return false;
        symbols.AddRange(ids);
        return true;
    }

    /// <summary>
    /// Symbols form a linked list; a heap holds candidate pairs by (rank, position). A popped pair whose
    /// neighbours changed since it was pushed no longer has that rank and is skipped.
    /// </summary>
    private int[] Merge(List<int> symbols)
    {
        var n = symbols.Count;
        var ids = symbols.ToArray();
        var prev = new int[n];
        var next = new int[n];
        var heap = new PriorityQueue<int, (int Rank, int Pos)>();
        for (var i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1; }
        for (var i = 0; i + 1 < n; i++) Push(heap, ids, i, i + 1);
        while (heap.TryDequeue(out var pos, out var key))
        {
            var right = next[pos];
            if (ids[pos] < 0 || right >= n || !_merges.TryGetValue(Pair(ids[pos], ids[right]), out var m) || m.Rank != key.Rank)
                continue;
            ids[pos] = m.Merged;
            ids[right] = -1;
            next[pos] = next[right];
            if (next[pos] < n) prev[next[pos]] = pos;
            if (prev[pos] >= 0) Push(heap, ids, prev[pos], pos);
            if (next[pos] < n) Push(heap, ids, pos, next[pos]);
        }
        return ids.Where(id => id >= 0).ToArray();
    }

    private void Push(PriorityQueue<int, (int Rank, int Pos)> heap, int[] ids, int left, int right)
    {
        if (_merges.TryGetValue(Pair(ids[left], ids[right]), out var m)) heap.Enqueue(left, (m.Rank, left));
    }

    private static long Pair(int left, int right) => ((long)left << 32) | (uint)right;

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private Dictionary<long, (int Rank, int Merged)> ReadMerges(JsonElement model)
    {
        var merges = new Dictionary<long, (int Rank, int Merged)>();
        var rank = 0;
        foreach (var entry in model.Items("merges"))
        {
            var (left, right) = SplitMerge(entry);
            var merged = left + (_subwordPrefix is { } p && right.StartsWith(p, StringComparison.Ordinal) ? right[p.Length..] : right);
            var pair = Pair(IdOf(left, entry), IdOf(right, entry));
            merges[pair] = (rank++, IdOf(merged, entry)); // a repeated pair keeps its last rank, as in HF
        }
        return merges;
    }

    private int IdOf(string token, JsonElement merge) =>
        _vocab.TryGetValue(token, out var id)
            ? id
            : throw new TokenizerException($"merge {merge.GetRawText()} uses '{token}', which is not in the vocab");

    /// <summary>Merges come as "a b" (older files) or ["a", "b"] (tokenizers 0.20+, allows spaces in tokens).</summary>
    private static (string Left, string Right) SplitMerge(JsonElement entry)
    {
        if (entry.ValueKind == JsonValueKind.Array && entry.GetArrayLength() == 2)
            return (entry[0].GetString() ?? "", entry[1].GetString() ?? "");
        var parts = entry.ValueKind == JsonValueKind.String ? entry.GetString()!.Split(' ') : [];
        return parts.Length == 2
            ? (parts[0], parts[1])
            : throw new TokenizerException($"invalid merge {entry.GetRawText()} (expected \"a b\" or [\"a\", \"b\"])");
    }
}
