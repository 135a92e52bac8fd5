using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OrleansLlm.Grains.Telemetry;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// The silo's OpenAI-compatible HTTP API, a web host beside the silo host that reaches the cluster through the silo's
/// own client: /v1/models, /v1/completions, /v1/chat/completions (with an API key when one is set), /health, and
/// /metrics (Prometheus text of Orleans' meter, ours and ASP.NET Core's).
/// </summary>
public static class FrontDoor
{
    public static async Task<WebApplication> StartAsync(IClusterClient cluster, FrontDoorSettings settings,
        Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (settings.Host == "localhost") k.ListenLocalhost(settings.Port);
            else k.Listen(IPAddress.Parse(settings.Host), settings.Port);
        });
        builder.Services.AddSingleton<IGrainFactory>(cluster);
        builder.Services.AddSingleton<ServedModels>();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter("Microsoft.Orleans", OlmMeter.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        var app = builder.Build();
        if (settings.ApiKey is { } key) app.Use(RequireKey(key));
        Map(app);
        await app.StartAsync();
        return app;
    }

    private static void Map(WebApplication app)
    {
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var models = app.Services.GetRequiredService<ServedModels>();
        var completions = new GenerationEndpoint<CompletionRequest>(grains, models, new CompletionShape(), RequestMapping.WithPrompt);
        var chat = new GenerationEndpoint<ChatRequest>(grains, models, new ChatShape(), RequestMapping.WithMessages);
        app.MapPost("/v1/completions", completions.Handle);
        app.MapPost("/v1/chat/completions", chat.Handle);
        app.MapGet("/v1/models", async (HttpContext http) => await http.Response.WriteAsJsonAsync(new
        {
            @object = "list",
            data = (await models.ListAsync()).Select(d => new
            {
                id = d.Id, @object = "model", created = Started, owned_by = "orleans-llm", max_model_len = d.ContextLength,
            }),
        }, OpenAiJson.Options));
        app.MapGet("/health", async (HttpContext http) =>
        {
            var served = await models.ListAsync();
            await http.Response.WriteAsJsonAsync(new { status = "ok", models = served.Length }, OpenAiJson.Options);
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }

    /// <summary>When the deployments of this process began to be served (OpenAI lists a "created" time per model).</summary>
    private static readonly long Started = OpenAiJson.Now();

    /// <summary>/v1/ asks for the key; /health and /metrics stay open to probes and scrapers.</summary>
    private static Func<HttpContext, RequestDelegate, Task> RequireKey(string key)
    {
        var expected = Encoding.UTF8.GetBytes($"Bearer {key}");
        return (http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments("/v1")) return next(http);
            var given = Encoding.UTF8.GetBytes(http.Request.Headers.Authorization.ToString());
            return CryptographicOperations.FixedTimeEquals(given, expected) ? next(http)
                : ApiError.Unauthorized().WriteAsync(http);
        };
    }
}
