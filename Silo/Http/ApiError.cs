using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// A refusal in OpenAI's shape, <c>{"error": {"message", "type", "param", "code"}}</c>, with its HTTP status: a client's
/// mistake is a 4xx naming the field at fault as param; the runtime's <see cref="OlmException"/> kinds map to 400, 404,
/// 429, 503 and 500. Its reason is noted on the request for the error log (<see cref="ErrorResponses"/>).
/// </summary>
internal sealed class ApiError(int status, string message, string type, string? param = null, string? code = null,
    string? logReason = null) : Exception(message)
{
    /// <summary>What a client told to wait is told to wait, in seconds (Retry-After).</summary>
    public const int RetryAfterSeconds = 1;

    public int Status => status;

    public object Body => new { error = new { message = Message, type, param, code } };

    public Task WriteAsync(HttpContext http)
    {
        ErrorResponses.Note(http, logReason ?? Message);
        http.Response.StatusCode = status;
        if (status == 429) http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        return http.Response.WriteAsJsonAsync(Body, OpenAiJson.Options);
    }

    public static ApiError BadRequest(string message, string? param = null) => new(400, message, "invalid_request_error", param);

    public static ApiError Unsupported(string param, string what) =>
        BadRequest($"{param} is not supported by this server{(what.Length > 0 ? ": " + what : "")}", param);

    public static ApiError Unauthorized() =>
        new(401, "Incorrect API key provided: send it as 'Authorization: Bearer KEY'", "invalid_request_error", null, "invalid_api_key");

    public static ApiError TooLarge(long limit) =>
        new(413, $"the body is larger than this server's limit of {limit / (1024 * 1024)} MB", "invalid_request_error", null, "request_too_large");

    public static ApiError TooManyRequests(int max) =>
        new(429, $"this API key (or client) already runs {max} generations at once, the most allowed; retry when one ends",
            "requests", null, "rate_limit_exceeded");

    public static ApiError From(Exception e) => e switch
    {
        ApiError api => api,
        BadHttpRequestException { StatusCode: 413 } =>
            new(413, "the body is larger than this server's limit", "invalid_request_error", null, "request_too_large"),
        BadHttpRequestException { StatusCode: 408 } => new(408, "the request body came too slowly; send it without pauses",
            "invalid_request_error", null, "request_timeout"),
        BadHttpRequestException b => new(b.StatusCode, FirstLine(b.Message), "invalid_request_error"),
        OlmException o => FromRuntime(o),
        _ => Internal(e),
    };

    /// <summary>
    /// A failure of ours that is no runtime refusal: the client hears only that it happened (an exception's text may name
    /// internal types and paths); the log line keeps its type and first line.
    /// </summary>
    private static ApiError Internal(Exception e) =>
        new(500, "the server failed on this request; its log says why", "server_error", logReason: $"{e.GetType().Name}: {FirstLine(e.Message)}");

    private static ApiError FromRuntime(OlmException o)
    {
        var param = Param(o.Field);
        // The engine names a sampling field as the request does (Temperature): the client reads its own name.
        var message = param is not null && o.Field is { } field && o.Message.StartsWith(field + " ", StringComparison.Ordinal)
            ? param + o.Message[field.Length..] : o.Message;
        return o.Kind switch
        {
            OlmErrorKind.BadRequest => BadRequest(message, param),
            OlmErrorKind.ContextOverflow => new(400, message, "invalid_request_error", param ?? "messages", "context_length_exceeded"),
            OlmErrorKind.NotFound => new(404, message, "invalid_request_error", "model", "model_not_found"),
            OlmErrorKind.Busy => new(429, message, "server_busy", null, "rate_limit_exceeded"),
            OlmErrorKind.Unavailable => new(503, message, "server_error", "model", "model_not_ready"),
            _ => new(500, FirstLine(message), "server_error"),
        };
    }

    /// <summary>A <see cref="GenerateRequest"/> member as the OpenAI field a client sent.</summary>
    private static string? Param(string? field) => field switch
    {
        null => null,
        nameof(GenerateRequest.Prompt) or nameof(GenerateRequest.PromptIds) => "prompt",
        nameof(GenerateRequest.StopStrings) => "stop",
        nameof(GenerateRequest.DeploymentId) => "model",
        _ => JsonNamingPolicy.SnakeCaseLower.ConvertName(field),
    };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
