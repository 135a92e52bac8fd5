using Microsoft.AspNetCore.Http;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// What load balancers and orchestrators ask, open without a key: /health is liveness (the process answers: always 200
/// <c>{"status": "ok"}</c>); /ready is readiness, 200 <c>{"status": "ready", "models": [...]}</c> while at least one model
/// is served, else 503 <c>{"status": "not_ready", "models": [], "reason": ...}</c>, so no traffic is sent where nothing
/// can answer it.
/// </summary>
internal static class Probes
{
    public static Task Health(HttpContext http) => http.Response.WriteAsJsonAsync(new { status = "ok" }, OpenAiJson.Options);

    public static async Task Ready(HttpContext http, ServedModels models)
    {
        string[] served;
        string? reason = null;
        try
        {
            served = (await models.ListAsync()).Select(d => d.Id).ToArray();
            if (served.Length == 0) reason = "no model is deployed and ready";
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
        {
            (served, reason) = ([], $"the cluster did not answer: {e.Message.Split('\n', 2)[0].Trim()}");
        }
        http.Response.StatusCode = reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        object body = reason is null ? new { status = "ready", models = served } : new { status = "not_ready", models = served, reason };
        await http.Response.WriteAsJsonAsync(body, OpenAiJson.Options);
    }
}
