using System.Diagnostics;
using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// One generation: checks the request, runs the engine's generation loop over the deployment's shards, streams the
/// tokens, and frees the KV cache on every shard however the request ends (done, failed or cancelled).
/// </summary>
public sealed class RequestGrain(TokenizerCache tokenizers) : Grain, IRequestGrain
{
    public async IAsyncEnumerable<TokenChunk> GenerateAsync(GenerateRequest request,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var deployment = await ReadyDeployment(request.DeploymentId);
        var tokenizer = deployment.HasTokenizer ? tokenizers.Get(deployment.Spec.Model) : null;
        var prompt = PromptIds(request, tokenizer);
        var options = Options(request);
        Check(() => ContextLimit.Check(prompt, options.MaxNewTokens, deployment.ContextLength, deployment.VocabSize));
        IRequestSteps source = deployment.Spec.Strategy == Strategy.Sequence
            ? new SequenceSteps(GrainFactory, deployment, this.GetPrimaryKey(), options.MaxNewTokens)
            : new DeploymentSteps(GrainFactory, deployment, this.GetPrimaryKey());
        var generator = new Generator(source, deployment.EosTokenIds, tokenizer);
        var clock = Stopwatch.StartNew();
        double firstMs = 0;
        var count = 0;
        try
        {
            await foreach (var token in generator.GenerateAsync(prompt, options, cancellation))
            {
                if (++count == 1) firstMs = clock.Elapsed.TotalMilliseconds;
                var stats = token.Stop is null ? null : Stats(prompt.Length, count, firstMs, clock.Elapsed.TotalMilliseconds, source);
                yield return new TokenChunk([token.Id], token.Text, token.Stop?.ToString(), stats, clock.Elapsed.TotalMilliseconds);
            }
        }
        finally
        {
            await source.ReleaseAsync();
            DeactivateOnIdle();
        }
        if (count == 0) yield return new TokenChunk([], "", StopReason.Length.ToString(), Stats(prompt.Length, 0, 0, 0, source));
    }

    public async Task<PerplexityResult> PerplexityAsync(string deploymentId, int[] ids, CancellationToken cancellation)
    {
        var deployment = await ReadyDeployment(deploymentId);
        Check(() => ContextLimit.Check(ids, 0, deployment.ContextLength, deployment.VocabSize));
        if (ids.Length < 2) throw new OlmException("perplexity needs at least 2 tokens");
        if (deployment.Spec.Strategy == Strategy.Sequence)
            throw new OlmException("perplexity is not available on a sequence-parallel deployment; deploy the model with another strategy");
        var steps = new DeploymentSteps(GrainFactory, deployment, this.GetPrimaryKey());
        double nll;
        try
        {
            nll = await steps.NegativeLogLikelihoodAsync(ids, cancellation);
        }
        finally
        {
            await steps.ReleaseAsync();
            DeactivateOnIdle();
        }
        return new PerplexityResult(Math.Exp(nll / (ids.Length - 1)), ids.Length);
    }

    private async Task<DeploymentInfo> ReadyDeployment(string id)
    {
        var info = await GrainFactory.GetGrain<IDeploymentGrain>(id).GetAsync()
            ?? throw new OlmException($"no deployment '{id}' (deploy it first)");
        return info.State == DeploymentState.Ready ? info
            : throw new OlmException($"deployment '{id}' is {EnumText<DeploymentState>.Name(info.State)}{(info.Error is null ? "" : ": " + info.Error)}");
    }

    private static int[] PromptIds(GenerateRequest request, HfTokenizer? tokenizer)
    {
        if (request.PromptIds is { Length: > 0 } ids) return ids;
        if (string.IsNullOrEmpty(request.Prompt)) throw new OlmException("give a prompt (text or token ids)");
        return (tokenizer ?? throw new OlmException("this model has no tokenizer; pass token ids (--prompt-ids)"))
            .Encode(request.Prompt);
    }

    private static GenerationOptions Options(GenerateRequest r)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = r.MaxTokens,
            StopStrings = r.StopStrings,
            EosTokenIds = r.IgnoreEos ? [] : null,
            Sampling = new SamplingOptions
            {
                Temperature = r.Temperature, TopK = r.TopK, TopP = r.TopP, MinP = r.MinP,
                RepetitionPenalty = r.RepetitionPenalty, Seed = r.Seed,
            },
        };
        Check(options.Validate);
        return options;
    }

    private static void Check(Action validate)
    {
        try { validate(); }
        catch (ArgumentException e) { throw new OlmException(e.Message); }
    }

    private static GenerationStats Stats(int prompt, int generated, double firstMs, double totalMs, IRequestSteps steps)
    {
        var decodeMs = totalMs - firstMs;
        var n = Math.Max(1, steps.DecodeSteps);
        var t = steps.DecodeTimings;
        return new GenerationStats(prompt, generated, firstMs, generated > 1 ? (generated - 1) / (decodeMs / 1000.0) : 0,
            generated > 1 ? decodeMs / (generated - 1) : 0, t.ComputeMs / n, t.AllReduceWaitMs / n, (double)t.Messages / n,
            (double)t.Bytes / n, steps.PrefillShares?.BusyMs, steps.PrefillShares?.Tokens, (double)steps.DecodeBatchRows / n);
    }
}
