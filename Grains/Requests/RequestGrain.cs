using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Telemetry;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// One generation: checks the request, runs the engine's generation loop over the deployment's shards, streams the
/// tokens (resuming on a new plan after a lost silo), and frees the KV cache on every shard however the request ends
/// (done, failed or cancelled).
/// </summary>
// A request grain lives for its request: it is not deactivated from inside its stream (the caller still reads the
// stream's end from this activation); a short collection age lets finished ones go soon.
[Orleans.Placement.PreferLocalPlacement, CollectionAgeLimit(Minutes = 2)]
public sealed class RequestGrain(TokenizerCache tokenizers, Prompts prompts, LocalRequests running, ILogger<RequestGrain> log)
    : Grain, IRequestGrain
{
    public async IAsyncEnumerable<TokenChunk> GenerateAsync(GenerateRequest request,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var telemetry = new RequestTelemetry(request.DeploymentId);
        running.Enter();
        try
        {
            await foreach (var chunk in Generate(request, telemetry, cancellation)) yield return chunk;
        }
        finally
        {
            running.Leave();
        }
    }

    private async IAsyncEnumerable<TokenChunk> Generate(GenerateRequest request, RequestTelemetry telemetry,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        var (deployment, tokenizer, prompt, options) = await Prepare(request, telemetry, cancellation);
        var source = new RecoveringSteps(GrainFactory, deployment, plan => plan.Spec.Strategy == Strategy.Sequence
            ? new SequenceSteps(GrainFactory, plan, this.GetPrimaryKey(), options.MaxNewTokens)
            : new DeploymentSteps(GrainFactory, plan, this.GetPrimaryKey()), log);
        var generator = new Generator(source, deployment.EosTokenIds, tokenizer);
        var clock = Stopwatch.StartNew();
        double firstMs = 0;
        var count = 0;
        var outcome = "error";
        try
        {
            await foreach (var token in generator.GenerateAsync(prompt, options, cancellation))
            {
                if (++count == 1) firstMs = clock.Elapsed.TotalMilliseconds;
                telemetry.Token();
                if (token.Stop is { } stop) outcome = stop == StopReason.Length ? "length" : "stop";
                var stats = token.Stop is null ? null : Stats(prompt.Length, count, firstMs, clock.Elapsed.TotalMilliseconds, source);
                yield return new TokenChunk([token.Id], token.Text, token.Stop?.ToString(), stats, clock.Elapsed.TotalMilliseconds);
            }
            if (count == 0) yield return new TokenChunk([], "", StopReason.Length.ToString(), Stats(prompt.Length, 0, 0, 0, source));
            if (count == 0) outcome = "length";
        }
        finally
        {
            await source.ReleaseAsync();
            telemetry.End(cancellation.IsCancellationRequested ? "cancelled" : outcome);
        }
    }

    /// <summary>The deployment, the prompt's ids and the options, or the refusal (counted as such).</summary>
    private async Task<(DeploymentInfo, HfTokenizer?, int[], GenerationOptions)> Prepare(GenerateRequest request, RequestTelemetry telemetry,
        CancellationToken cancellation)
    {
        try
        {
            var deployment = await ReadyDeployment(request.DeploymentId, cancellation);
            var tokenizer = deployment.HasTokenizer ? tokenizers.Get(deployment.Spec.Model) : null;
            var prompt = prompts.Ids(request, deployment, tokenizer, cancellation);
            var options = Options(request, request.UpToContext ? deployment.ContextLength - prompt.Length : int.MaxValue);
            CheckContext(prompt, options.MaxNewTokens, deployment, Prompts.Field(request));
            telemetry.Prompt(prompt.Length);
            return (deployment, tokenizer, prompt, options);
        }
        catch (Exception)
        {
            telemetry.End("refused");
            throw;
        }
    }

    public async Task<PerplexityResult> PerplexityAsync(string deploymentId, int[] ids, CancellationToken cancellation)
    {
        var deployment = await ReadyDeployment(deploymentId, cancellation);
        CheckContext(ids, 0, deployment, nameof(GenerateRequest.PromptIds));
        if (ids.Length < 2) throw new OlmException("perplexity needs at least 2 tokens", OlmErrorKind.BadRequest);
        if (deployment.Spec.Strategy == Strategy.Sequence)
            throw new OlmException("perplexity is not available on a sequence-parallel deployment; deploy the model with another strategy",
                OlmErrorKind.BadRequest);
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

    /// <summary>
    /// The deployment once it is ready. One being planned again after a lost silo is waited for, as the requests it was
    /// running wait for it (at most <see cref="RecoveringSteps.RebuildLimit"/>); any other state is refused in one line.
    /// </summary>
    private async Task<DeploymentInfo> ReadyDeployment(string id, CancellationToken cancellation)
    {
        var grain = GrainFactory.GetGrain<IDeploymentGrain>(id);
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(TimeSpan.FromMilliseconds(250), cancellation))
        {
            var info = await grain.GetAsync()
                ?? throw new OlmException($"no deployment '{id}' (deploy it first)", OlmErrorKind.NotFound);
            if (info.State == DeploymentState.Ready) return info;
            if (info.State != DeploymentState.Recovering || waited.Elapsed > RecoveringSteps.RebuildLimit)
                throw new OlmException($"deployment '{id}' is {EnumText<DeploymentState>.Name(info.State)}{(info.Error is null ? "" : ": " + info.Error)}",
                    OlmErrorKind.Unavailable);
        }
    }

    /// <summary>
    /// The prompt against the model's vocabulary and context, refused as a bad request or a context overflow naming the
    /// field at fault: the prompt when it alone is too long or holds a bad id, else the tokens asked for.
    /// </summary>
    private static void CheckContext(int[] prompt, int maxNewTokens, DeploymentInfo deployment, string promptField)
    {
        try
        {
            ContextLimit.Check(prompt, maxNewTokens, deployment.ContextLength, deployment.VocabSize);
        }
        catch (ArgumentException e)
        {
            var overflow = prompt.Length > 0 && (long)prompt.Length + maxNewTokens > deployment.ContextLength;
            var field = overflow && prompt.Length <= deployment.ContextLength ? nameof(GenerateRequest.MaxTokens) : promptField;
            throw new OlmException(e.Message, overflow ? OlmErrorKind.ContextOverflow : OlmErrorKind.BadRequest, field);
        }
    }

    /// <summary>The request's sampling and stopping; <paramref name="room"/> caps the tokens (what the context has left).</summary>
    private static GenerationOptions Options(GenerateRequest r, int room)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = Math.Min(r.MaxTokens, Math.Max(0, room)),
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

    /// <summary>The options' refusal, naming the request member at fault (the engine's names are the request's but one).</summary>
    private static void Check(Action validate)
    {
        try { validate(); }
        catch (ArgumentException e)
        {
            var field = e.ParamName == nameof(GenerationOptions.MaxNewTokens) ? nameof(GenerateRequest.MaxTokens) : e.ParamName;
            // ArgumentException appends " (Parameter 'Name')" to its message: the field travels on its own.
            var message = e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;
            throw new OlmException(message, OlmErrorKind.BadRequest, field);
        }
    }

    private static GenerationStats Stats(int prompt, int generated, double firstMs, double totalMs, RecoveringSteps steps)
    {
        var decodeMs = totalMs - firstMs;
        var n = Math.Max(1, steps.DecodeSteps);
        var t = steps.DecodeTimings;
        return new GenerationStats(prompt, generated, firstMs, generated > 1 ? (generated - 1) / (decodeMs / 1000.0) : 0,
            generated > 1 ? decodeMs / (generated - 1) : 0, t.ComputeMs / n, t.AllReduceWaitMs / n, (double)t.Messages / n,
            (double)t.Bytes / n, steps.PrefillShares?.BusyMs, steps.PrefillShares?.Tokens, (double)steps.DecodeBatchRows / n,
            steps.Recoveries);
    }
}
