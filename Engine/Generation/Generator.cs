using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Tokenization;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// The generation loop's consumer side: takes the tokens a stream produces and turns them into text (never half a
/// UTF-8 character), stopping at EOS, a stop string, the token limit or cancellation.
/// </summary>
public sealed class Generator(ITokenStream model, IReadOnlyList<int> modelEosIds, HfTokenizer? tokenizer = null)
{
    /// <summary>The plan a request's options make: its seed fixed, so the draws can be replayed anywhere.</summary>
    public TokenPlan Plan(GenerationOptions options, int skipDraws = 0) => new(options.MaxNewTokens,
        (options.EosTokenIds ?? modelEosIds).ToHashSet(),
        options.Sampling with { Seed = options.Sampling.Seed ?? SamplingRandom.NewSeed() }, skipDraws);

    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        options.Validate();
        if (options.MaxNewTokens == 0) yield break;
        var plan = Plan(options);
        var text = tokenizer?.CreateStreamingDecoder();
        var stops = new StopStringMatcher(options.StopStrings);
        var produced = 0;
        await foreach (var id in model.GenerateAsync(promptIds, plan, cancellation))
        {
            produced++;
            var reason = plan.EosTokenIds.Contains(id) ? StopReason.EndOfSequence
                : produced >= plan.MaxNewTokens ? StopReason.Length : (StopReason?)null;
            var piece = text is null || reason == StopReason.EndOfSequence ? "" : text.Push(id);
            if (reason is not null && text is not null) piece += text.Flush();
            piece = stops.Push(piece, out var hitStop);
            if (hitStop) reason = StopReason.StopString;
            else if (reason is not null) piece += stops.Flush();
            yield return new GeneratedToken(id, piece, reason);
            if (reason is not null) yield break;
            cancellation.ThrowIfCancellationRequested();
        }
    }
}
