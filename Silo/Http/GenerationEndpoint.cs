using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// POST /v1/completions and /v1/chat/completions: the request becomes a <see cref="GenerateRequest"/> for a request
/// grain, whose first chunk is awaited before any header is written (a refusal gets its status), then the tokens go
/// out whole or as server-sent events. The client's disconnect cancels the grain call, which frees the KV cache. A caller
/// (API key) running its most generations at once is refused with 429 before its body is read.
/// </summary>
internal sealed class GenerationEndpoint<TRequest>(IGrainFactory grains, ServedModels models, CallerLimit limit, IResponseShape shape,
    Func<GenerateRequest, TRequest, GenerateRequest> prompt) where TRequest : GenerationFields
{
    public async Task Handle(HttpContext http)
    {
        var aborted = http.RequestAborted;
        try
        {
            using var slot = limit.TryEnter(ApiKeys.Caller(http)) ?? throw ApiError.TooManyRequests(limit.Max);
            var request = await RequestBody.ReadAsync<TRequest>(http);
            var model = await models.FindAsync(request.Model);
            var generation = prompt(RequestMapping.Generation(request, model), request);
            var clock = Stopwatch.StartNew();
            await using var tokens = grains.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(generation, aborted).GetAsyncEnumerator(aborted);
            if (!await tokens.MoveNextAsync()) throw new ApiError(500, "the generation ended without a last chunk", "server_error");
            var response = new Response(shape, shape.IdPrefix + Guid.NewGuid().ToString("N"), OpenAiJson.Now(), model);
            if (request.Stream) await ServerSentEvents.Stream(http, tokens, response, request.StreamOptions?.IncludeUsage ?? false);
            else await Whole(http, tokens, response, clock);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client left; its generation was cancelled with it.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            await ApiError.From(e).WriteAsync(http);
        }
    }

    /// <summary>
    /// The whole response, with the time the request grain took (from the call to its last chunk) in a header, as
    /// OpenAI reports its processing time: what a client measures beyond it is what HTTP added.
    /// </summary>
    private static async Task Whole(HttpContext http, IAsyncEnumerator<TokenChunk> tokens, Response response, Stopwatch clock)
    {
        var text = new StringBuilder();
        var generated = 0;
        TokenChunk last;
        do
        {
            last = tokens.Current;
            text.Append(last.Text);
            generated += last.Ids.Length;
        } while (await tokens.MoveNextAsync());
        http.Response.Headers[GenerationHeader] = clock.Elapsed.TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture);
        var usage = new Usage(last.Stats?.PromptTokens ?? 0, generated);
        await http.Response.WriteAsJsonAsync(response.Shape.Whole(response.Id, response.Created, response.Model, text.ToString(),
            IResponseShape.Finish(last.StopReason), usage), OpenAiJson.Options, http.RequestAborted);
    }

    private const string GenerationHeader = "X-Olm-Generation-Ms";
}

/// <summary>What every chunk of one response repeats: its shape, id, creation time and model.</summary>
internal sealed record Response(IResponseShape Shape, string Id, long Created, string Model);
