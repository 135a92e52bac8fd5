using Microsoft.AspNetCore.Http;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// A streamed response: <c>data: {chunk}</c> events as tokens come (for chat, an opening chunk with the role first),
/// a closing chunk with the finish reason, usage when <c>stream_options.include_usage</c> asks, then <c>data: [DONE]</c>.
/// An error after the stream began goes out as an error event.
/// </summary>
internal static class ServerSentEvents
{
    public static async Task Stream(HttpContext http, IAsyncEnumerator<TokenChunk> tokens, Response r, bool includeUsage)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        if (r.Shape is ChatShape) await Send(http, r.Shape.Chunk(r.Id, r.Created, r.Model, null, null, opening: true));
        var generated = 0;
        try
        {
            TokenChunk last;
            do
            {
                last = tokens.Current;
                generated += last.Ids.Length;
                if (last.Text.Length > 0) await Send(http, r.Shape.Chunk(r.Id, r.Created, r.Model, last.Text, null));
            } while (await tokens.MoveNextAsync());
            await Send(http, r.Shape.Chunk(r.Id, r.Created, r.Model, null, IResponseShape.Finish(last.StopReason)));
            if (includeUsage) await Send(http, r.Shape.UsageChunk(r.Id, r.Created, r.Model, new Usage(last.Stats?.PromptTokens ?? 0, generated)));
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            var error = ApiError.From(e);
            ErrorResponses.Note(http, error.Message);
            await Send(http, error.Body);
        }
        await http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    private static async Task Send(HttpContext http, object chunk)
    {
        await http.Response.WriteAsync($"data: {OpenAiJson.Serialize(chunk)}\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
}
