using Microsoft.AspNetCore.Http;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// A refusal in OpenAI's shape, <c>{"error": {"message", "type", "param", "code"}}</c>, with its HTTP status: the
/// runtime's <see cref="OlmException"/> kinds map to 400, 404, 429, 503 and 500.
/// </summary>
internal sealed class ApiError(int status, string message, string type, string? param = null, string? code = null)
    : Exception(message)
{
    public int Status => status;

    public object Body => new { error = new { message = Message, type, param, code } };

    public Task WriteAsync(HttpContext http)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(Body, OpenAiJson.Options);
    }

    public static ApiError BadRequest(string message, string? param = null) => new(400, message, "invalid_request_error", param);

    public static ApiError Unsupported(string param, string what) =>
        BadRequest($"{param} is not supported by this server{(what.Length > 0 ? ": " + what : "")}", param);

    public static ApiError Unauthorized() =>
        new(401, "Incorrect API key provided: send it as 'Authorization: Bearer KEY'", "invalid_request_error", null, "invalid_api_key");

    public static ApiError From(Exception e) => e switch
    {
        ApiError api => api,
        OlmException { Kind: OlmErrorKind.BadRequest } o => BadRequest(o.Message),
        OlmException { Kind: OlmErrorKind.ContextOverflow } o => new(400, o.Message, "invalid_request_error", "messages", "context_length_exceeded"),
        OlmException { Kind: OlmErrorKind.NotFound } o => new(404, o.Message, "invalid_request_error", "model", "model_not_found"),
        OlmException { Kind: OlmErrorKind.Busy } o => new(429, o.Message, "server_busy", null, "rate_limit_exceeded"),
        OlmException { Kind: OlmErrorKind.Unavailable } o => new(503, o.Message, "server_error", "model", "model_not_ready"),
        _ => new(500, e.Message.Split('\n', 2)[0].Trim(), "server_error"),
    };
}
