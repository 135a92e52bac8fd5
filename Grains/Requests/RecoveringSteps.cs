using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// A request's steps that outlive a lost silo: when its stream fails as a lost silo's would, it waits for the
/// deployment to be planned again on the other silos (a newer epoch, ready), then the engine's
/// <see cref="ResumingTokenStream"/> continues the request on the new plan. A failure that no recovery follows within
/// <see cref="NoticeWindow"/> (time for membership to declare a silo dead) is the request's error after all.
/// </summary>
internal sealed partial class RecoveringSteps : IRequestSteps, IStreamRecovery
{
    private static readonly TimeSpan NoticeWindow = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan RebuildLimit = TimeSpan.FromMinutes(15);
    private readonly IGrainFactory _grains;
    private readonly ILogger _log;
    private readonly Func<DeploymentInfo, IRequestSteps> _make;
    private readonly List<IRequestSteps> _steps = [];
    private readonly ResumingTokenStream _stream;
    private DeploymentInfo _deployment;

    public RecoveringSteps(IGrainFactory grains, DeploymentInfo deployment, Func<DeploymentInfo, IRequestSteps> make, ILogger log)
    {
        (_grains, _deployment, _make, _log) = (grains, deployment, make, log);
        _steps.Add(make(deployment));
        _stream = new ResumingTokenStream(this);
    }

    public ITokenStream Current => _steps[^1];

    /// <summary>Times the request resumed on a new plan.</summary>
    public int Recoveries => _stream.Recoveries;

    public StepTimings DecodeTimings => _steps.Aggregate(StepTimings.Zero, (t, s) => t.Add(s.DecodeTimings));
    public int DecodeSteps => _steps.Sum(s => s.DecodeSteps);
    public long DecodeBatchRows => _steps.Sum(s => s.DecodeBatchRows);
    public (double[] BusyMs, int[] Tokens)? PrefillShares => _steps[^1].PrefillShares;

    public IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, TokenPlan plan, CancellationToken cancellation) =>
        _stream.GenerateAsync(promptIds, plan, cancellation);

    public async Task<bool> RecoverAsync(Exception failure, CancellationToken cancellation)
    {
        if (!ShardLoss.Is(failure)) return false;
        await Quietly(_steps[^1].ReleaseAsync());
        var deployment = _grains.GetGrain<IDeploymentGrain>(_deployment.Id);
        var clock = Stopwatch.StartNew();
        var recovering = false;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            DeploymentInfo? info;
            try { info = await deployment.GetAsync(); }
            catch (Exception e) when (ShardLoss.Is(e)) { info = _deployment; } // the deployment grain's own silo may be the lost one
            if (info is null) throw new OlmException($"deployment '{_deployment.Id}' was undeployed while the request ran", OlmErrorKind.NotFound);
            if (info is { State: DeploymentState.Ready } && info.Epoch > _deployment.Epoch)
            {
                _deployment = info;
                _steps.Add(_make(info));
                return true;
            }
            if (info.State == DeploymentState.Failed)
                throw new OlmException($"deployment '{info.Id}' failed while the request ran: {info.Error}", OlmErrorKind.Unavailable);
            recovering |= info.State == DeploymentState.Recovering;
            if (!recovering && clock.Elapsed > NoticeWindow) return false;
            if (clock.Elapsed > RebuildLimit)
                throw new OlmException($"deployment '{info.Id}' was not back within {RebuildLimit.TotalMinutes:F0} minutes of losing a silo", OlmErrorKind.Unavailable);
            await Task.Delay(200, cancellation);
        }
    }

    /// <summary>Frees the request's KV cache on the current plan; a shard that is gone holds nothing to free.</summary>
    public async Task ReleaseAsync()
    {
        try { await _steps[^1].ReleaseAsync(); }
        catch (Exception e) when (ShardLoss.Is(e)) { } // its silo is gone, and its KV with it
    }

    /// <summary>Frees what a failed plan may still hold; a shard that is gone holds nothing, and a release never fails the recovery.</summary>
    private async Task Quietly(Task release)
    {
        try { await release.WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e)
        {
            LogNotReleased(_log, ShardLoss.Is(e) ? LogLevel.Debug : LogLevel.Warning, _deployment.Id, _deployment.Epoch, e.Message.Split('\n')[0]);
        }
    }

    [LoggerMessage(Message = "deployment {Id}: a request's KV on its failed plan (epoch {Epoch}) was not released: {Reason}")]
    private static partial void LogNotReleased(ILogger logger, LogLevel level, string id, int epoch, string reason);
}
