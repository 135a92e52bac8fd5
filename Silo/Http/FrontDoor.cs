using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OrleansLlm.Grains.Telemetry;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// The silo's OpenAI-compatible HTTP API, a web host beside the silo host that reaches the cluster through the silo's
/// own client: /v1/models, /v1/completions, /v1/chat/completions (with an API key when keys are set), /health, /ready,
/// and /metrics (Prometheus text of Orleans' meter, ours and ASP.NET Core's; behind the key when asked). Each request's
/// memory is bounded before work starts: Kestrel's body size limit and minimum data rate, a limit of generations at once
/// per key, and prompts refused by their length before they are tokenized (in the request grain).
/// </summary>
public static class FrontDoor
{
    public static async Task<WebApplication> StartAsync(IClusterClient cluster, FrontDoorSettings settings,
        Action<ILoggingBuilder>? logging = null)
    {
        settings.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        // Kestrel reports what it refuses itself (headers too slow, a malformed request line) at Debug only.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Debug);
        builder.WebHost.ConfigureKestrel(k => Limit(k, settings));
        builder.Services.AddSingleton<IGrainFactory>(cluster);
        builder.Services.AddSingleton<ServedModels>();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter("Microsoft.Orleans", OlmMeter.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansLlm.Silo.Http");
        app.Use(new ErrorResponses(log).InvokeAsync);
        app.Use(new ApiKeys(settings.ApiKeys).Middleware(settings.MetricsRequireKey));
        Map(app, new CallerLimit(settings.MaxConcurrentPerKey));
        await app.StartAsync();
        return app;
    }

    private static void Limit(KestrelServerOptions k, FrontDoorSettings settings)
    {
        if (settings.Host == "localhost") k.ListenLocalhost(settings.Port);
        else k.Listen(IPAddress.Parse(settings.Host), settings.Port);
        k.Limits.MaxRequestBodySize = settings.MaxBodyMb * 1024L * 1024;
        k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(settings.HeadersTimeoutSeconds);
        k.Limits.MinRequestBodyDataRate = new MinDataRate(FrontDoorSettings.MinBodyBytesPerSecond,
            TimeSpan.FromSeconds(settings.BodyTimeoutSeconds));
    }

    private static void Map(WebApplication app, CallerLimit limit)
    {
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var models = app.Services.GetRequiredService<ServedModels>();
        var completions = new GenerationEndpoint<CompletionRequest>(grains, models, limit, new CompletionShape(), RequestMapping.WithPrompt);
        var chat = new GenerationEndpoint<ChatRequest>(grains, models, limit, new ChatShape(), RequestMapping.WithMessages);
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
        app.MapMethods("/health", ["GET", "HEAD"], Probes.Health);
        app.MapMethods("/ready", ["GET", "HEAD"], (HttpContext http) => Probes.Ready(http, models));
        app.MapPrometheusScrapingEndpoint("/metrics");
    }

    /// <summary>When the deployments of this process began to be served (OpenAI lists a "created" time per model).</summary>
    private static readonly long Started = OpenAiJson.Now();
}
