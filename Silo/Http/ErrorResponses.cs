using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// The outermost step of the API's pipeline: what routing leaves without a body (404, 405 with its Allow header) gets
/// OpenAI's error shape, an exception nothing caught becomes a 500 in that shape, and every refusal is logged in one
/// line (method, path, status, reason) so an operator sees a client's mistakes: 4xx at Information, 5xx at Error with
/// the exception's first line.
/// </summary>
internal sealed class ErrorResponses(ILogger log)
{
    private const string ReasonItem = "olm.error";

    /// <summary>Keeps a refusal's reason for the log line (also for an error sent inside a stream that began well).</summary>
    public static void Note(HttpContext http, string reason) => http.Items[ReasonItem] = reason;

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http);
            if (!http.Response.HasStarted && http.Response.StatusCode is 404 or 405) await RouteError(http).WriteAsync(http);
        }
        catch (Exception e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            await ApiError.From(e).WriteAsync(http);
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
        {
            // Too late for a status: Kestrel ends the response; the log still says why.
            Note(http, e.Message.Split('\n', 2)[0].Trim());
            throw;
        }
        finally
        {
            Log(http);
        }
    }

    private static ApiError RouteError(HttpContext http)
    {
        var request = $"{http.Request.Method} {http.Request.Path}";
        if (http.Response.StatusCode == 404)
            return new ApiError(404, $"Invalid URL ({request}): the API serves /v1/models, /v1/completions, /v1/chat/completions, " +
                                     "/health, /ready and /metrics", "invalid_request_error");
        var allow = http.Response.Headers.Allow.ToString();
        return new ApiError(405, $"{request} is not allowed{(allow.Length > 0 ? $": use {allow}" : "")}", "invalid_request_error");
    }

    private void Log(HttpContext http)
    {
        var status = http.Response.StatusCode;
        var reason = http.Items[ReasonItem] as string;
        // /ready's 503 is its answer, asked every few seconds by a balancer: not an error to log each time.
        if ((status < 400 && reason is null) || http.Request.Path.StartsWithSegments("/ready")) return;
        // Below 400 with a reason: an error sent inside a stream that had begun well.
        var level = status >= 500 ? LogLevel.Error : status >= 400 ? LogLevel.Information : LogLevel.Warning;
        log.Log(level, "{Method} {Path} {Status}: {Reason}", http.Request.Method, http.Request.Path.Value, status,
            reason ?? "(no reason given)");
    }
}
