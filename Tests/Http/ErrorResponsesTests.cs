using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansLlm.Silo.Http;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// The pipeline's outermost step: an uncaught exception becomes a 500 in OpenAI's shape that names nothing internal,
/// logged with its type and first line.
/// </summary>
public sealed class ErrorResponsesTests
{
    [Fact]
    public async Task AnUncaughtExceptionIsAServerErrorLoggedWithItsFirstLine()
    {
        var logs = new CapturedLogs();
        var http = new DefaultHttpContext { Request = { Method = "POST", Path = "/v1/completions" }, Response = { Body = new MemoryStream() } };
        await new ErrorResponses(logs.CreateLogger("api")).InvokeAsync(http, _ => throw new InvalidOperationException("it broke\n   at Somewhere()"));
        Assert.Equal(500, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        var error = JsonDocument.Parse(http.Response.Body).RootElement.GetProperty("error");
        Assert.Equal(("the server failed on this request; its log says why", "server_error"),
            (error.GetProperty("message").GetString(), error.GetProperty("type").GetString()));
        Assert.Equal(["Error api: POST /v1/completions 500: InvalidOperationException: it broke"], logs.Lines);
    }
}
