using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Silo.Http;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>Each kind of refusal the runtime reports gets OpenAI's status and error code.</summary>
public class ApiErrorTests
{
    [Theory]
    [InlineData(OlmErrorKind.BadRequest, 400, null)]
    [InlineData(OlmErrorKind.ContextOverflow, 400, "context_length_exceeded")]
    [InlineData(OlmErrorKind.NotFound, 404, "model_not_found")]
    [InlineData(OlmErrorKind.Busy, 429, "rate_limit_exceeded")]
    [InlineData(OlmErrorKind.Unavailable, 503, "model_not_ready")]
    [InlineData(OlmErrorKind.Failed, 500, null)]
    public void KindsMapToStatuses(OlmErrorKind kind, int status, string? code)
    {
        var error = ApiError.From(new OlmException("reason", kind));
        Assert.Equal(status, error.Status);
        Assert.Equal("reason", error.Message);
        // As the client reads it: the JSON body's code, a JSON null where OpenAI gives none.
        var body = System.Text.Json.JsonDocument.Parse(OpenAiJson.Serialize(error.Body)).RootElement.GetProperty("error");
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.Equal("reason", body.GetProperty("message").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("type").GetString()));
    }

    [Theory]
    [InlineData("Temperature", "Temperature must be >= 0 (0 = greedy), got -1.", "temperature", "temperature must be >= 0 (0 = greedy), got -1.")]
    [InlineData("PromptIds", "token id 9 at position 0 is outside the vocabulary [0, 5)", "prompt", "token id 9 at position 0 is outside the vocabulary [0, 5)")]
    [InlineData("StopStrings", "stop strings must not be empty", "stop", "stop strings must not be empty")]
    [InlineData("MaxTokens", "max new tokens must be 0 or more, got -1", "max_tokens", "max new tokens must be 0 or more, got -1")]
    [InlineData("ChatTemplate", "chat template does not parse: x", "chat_template", "chat template does not parse: x")]
    public void TheFieldAtFaultIsTheParamAClientSent(string field, string message, string param, string clientMessage)
    {
        var error = ApiError.From(new OlmException(message, OlmErrorKind.BadRequest, field));
        var body = System.Text.Json.JsonDocument.Parse(OpenAiJson.Serialize(error.Body)).RootElement.GetProperty("error");
        Assert.Equal(param, body.GetProperty("param").GetString());
        Assert.Equal(clientMessage, body.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(408, "request_timeout")]
    [InlineData(413, "request_too_large")]
    [InlineData(431, null)]
    public void KestrelsRefusalsKeepTheirStatus(int status, string? code)
    {
        var error = ApiError.From(new Microsoft.AspNetCore.Http.BadHttpRequestException("refused\nby Kestrel", status));
        Assert.Equal(status, error.Status);
        var body = System.Text.Json.JsonDocument.Parse(OpenAiJson.Serialize(error.Body)).RootElement.GetProperty("error");
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    [Fact]
    public void AnythingElseIsAServerErrorThatNamesNothingInternal()
    {
        var error = ApiError.From(new InvalidCastException("Unable to cast OrleansLlm.Grains.Secret to System.String\n  at somewhere"));
        Assert.Equal(500, error.Status);
        Assert.Equal("the server failed on this request; its log says why", error.Message);
    }
}
