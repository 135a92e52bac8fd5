using System.Diagnostics;

namespace OrleansLlm.Grains.Telemetry;

/// <summary>One request's measurements, recorded into <see cref="OlmMeter"/> as its tokens come.</summary>
internal sealed class RequestTelemetry(string deployment)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly KeyValuePair<string, object?> _model = new("model", deployment);
    private TimeSpan? _last;

    public void Prompt(int tokens) => OlmMeter.PromptTokens.Add(tokens, _model);

    public void Token()
    {
        var now = _clock.Elapsed;
        if (_last is { } last) OlmMeter.InterTokenLatency.Record((now - last).TotalSeconds, _model);
        else OlmMeter.TimeToFirstToken.Record(now.TotalSeconds, _model);
        _last = now;
        OlmMeter.GeneratedTokens.Add(1, _model);
    }

    /// <summary>How it ended: a stop reason (stop, length), refused (before any work), error or cancelled.</summary>
    public void End(string outcome) => OlmMeter.Requests.Add(1, _model, new("outcome", outcome));
}
