using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Tokenization;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// The generation loop: prefill, then decode one token at a time until EOS, a stop string, the token limit or
/// cancellation. The sequence's draws come from its own seeded <see cref="Sampler"/>, so a token does not depend on
/// where or with whom it was computed. Text is produced incrementally (never half a UTF-8 character) when a tokenizer
/// is given.
/// </summary>
public sealed class Generator(ITokenSource model, IReadOnlyList<int> modelEosIds, HfTokenizer? tokenizer = null)
{
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        options.Validate();
        if (options.MaxNewTokens == 0) yield break;
        var eos = (options.EosTokenIds ?? modelEosIds).ToHashSet();
        var draws = new Sampler(options.Sampling);
        var text = tokenizer?.CreateStreamingDecoder();
        var stops = new StopStringMatcher(options.StopStrings);
        var id = await model.PrefillAsync(promptIds, draws.NextRow(), cancellation);
        for (var produced = 1; ; produced++)
        {
            var reason = eos.Contains(id) ? StopReason.EndOfSequence
                : produced >= options.MaxNewTokens ? StopReason.Length : (StopReason?)null;
            var piece = text is null || reason == StopReason.EndOfSequence ? "" : text.Push(id);
            if (reason is not null && text is not null) piece += text.Flush();
            piece = stops.Push(piece, out var hitStop);
            if (hitStop) reason = StopReason.StopString;
            else if (reason is not null) piece += stops.Flush();
            yield return new GeneratedToken(id, piece, reason);
            if (reason is not null) yield break;
            cancellation.ThrowIfCancellationRequested();
            id = await model.DecodeAsync(id, draws.NextRow(), cancellation);
        }
    }
}
