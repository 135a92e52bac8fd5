using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Serving;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Continuous batching on a deployment's entry shard, on the grain's turns: requests' steps wait here, the scheduler
/// forms a batch from whatever is waiting whenever a batch may start (one in flight per pipeline stage), and each
/// batch's results answer the steps in it. Requests join and leave between any two batches.
/// </summary>
internal sealed class BatchPump(BatchScheduler scheduler, int maxInFlight, Func<BatchMessage, Task<BatchResult>> run)
{
    private readonly Dictionary<Guid, Waiter> _waiting = new();
    private int _inFlight;

    /// <summary>What a request waits for: its next token, or (scoring) the summed −log p of its sequence.</summary>
    private sealed class Waiter(SamplingSpec? sample)
    {
        public SamplingSpec? Sample { get; set; } = sample;
        public TaskCompletionSource<TokenStep> Token { get; set; } = New<TokenStep>();
        public TaskCompletionSource<double> Score { get; } = New<double>();
        public double Nll;
        public StepTimings Timings = StepTimings.Zero;

        private static TaskCompletionSource<T> New<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public BatchScheduler Scheduler => scheduler;

    public Task<TokenStep> Start(Guid request, SequenceStart start)
    {
        scheduler.Start(request, start.Prompt, start.MaxTokens, BatchOutput.Next);
        var waiter = _waiting[request] = new Waiter(start.Sample);
        Kick();
        return waiter.Token.Task;
    }

    public Task<TokenStep> Continue(Guid request, int token, SamplingSpec sample)
    {
        if (!_waiting.TryGetValue(request, out var waiter))
            throw new OlmException($"request {request} is not running on this deployment (released, or never started)");
        scheduler.Append(request, token);
        (waiter.Sample, waiter.Token) = (sample, new TaskCompletionSource<TokenStep>(TaskCreationOptions.RunContinuationsAsynchronously));
        Kick();
        return waiter.Token.Task;
    }

    public Task<double> Score(Guid request, int[] ids)
    {
        scheduler.Start(request, ids, ids.Length, BatchOutput.Score);
        var waiter = _waiting[request] = new Waiter(null);
        Kick();
        return waiter.Score.Task;
    }

    /// <summary>Forgets a request: its blocks go back and whatever it waits for is cancelled.</summary>
    public void Release(Guid request)
    {
        scheduler.Remove(request);
        if (!_waiting.Remove(request, out var waiter)) return;
        waiter.Token.TrySetCanceled();
        waiter.Score.TrySetCanceled();
        Kick();
    }

    /// <summary>Forgets every request (the shard unloads).</summary>
    public void ReleaseAll()
    {
        foreach (var id in _waiting.Keys.ToList()) Release(id);
    }

    private void Kick()
    {
        while (_inFlight < maxInFlight && scheduler.Next() is { } batch)
        {
            _inFlight++;
            _ = Run(batch);
        }
    }

    private async Task Run(ScheduledBatch batch)
    {
        try
        {
            var result = await run(Message(batch));
            scheduler.Complete(batch);
            Answer(batch, result);
        }
        catch (Exception e)
        {
            scheduler.Abandon(batch);
            foreach (var s in batch.Sequences)
                if (_waiting.TryGetValue(s.Id, out var w)) { w.Token.TrySetException(e); w.Score.TrySetException(e); }
        }
        finally
        {
            _inFlight--;
            Kick();
        }
    }

    private void Answer(ScheduledBatch batch, BatchResult result)
    {
        for (var i = 0; i < batch.Sequences.Count; i++)
        {
            var (s, entry) = (batch.Sequences[i], batch.Layout.Entries[i]);
            if (!_waiting.TryGetValue(s.Id, out var w)) continue;
            w.Timings = w.Timings.Add(result.Timings);
            if (entry.Output == BatchOutput.Next)
            {
                w.Token.TrySetResult(new TokenStep(result.Tokens[i], w.Timings, batch.Layout.Rows));
                w.Timings = StepTimings.Zero;
            }
            else if (entry.Output == BatchOutput.Score)
            {
                // A preempted sequence scores again from its first token: what it scored before is dropped.
                w.Nll = (entry.Start == 0 ? 0 : w.Nll) + result.Nll[i];
                if (s.Pending == 0) w.Score.TrySetResult(w.Nll);
            }
        }
    }

    /// <summary>The batch as the shards take it: the rows' token ids, and per entry its blocks and wants.</summary>
    private BatchMessage Message(ScheduledBatch batch)
    {
        var items = batch.Layout.Entries.Select((e, i) =>
        {
            var s = batch.Sequences[i];
            // A request released while its batch formed still gets a row to draw from; the token goes nowhere.
            var sample = e.Output != BatchOutput.Next ? null
                : _waiting.TryGetValue(s.Id, out var w) && w.Sample is { } spec ? WithHistory(spec, s) : Greedy;
            var targets = e.Output == BatchOutput.Score
                ? Enumerable.Range(e.Start + 1, e.Count).Select(p => p < s.Tokens.Count ? s.Tokens[p] : -1).ToArray()
                : null;
            return new BatchItem(e.Start, e.Count, e.Blocks.ToArray(), e.Output.ToWire(), sample, targets);
        }).ToArray();
        return new BatchMessage(batch.Id, items, batch.RowTokens(), null);
    }

    private static readonly SamplingSpec Greedy = new(0, 0, 1, 0, 1, 0);

    private static SamplingSpec WithHistory(SamplingSpec sample, ServingSequence s) =>
        sample.RepetitionPenalty == 1 ? sample : sample with { History = s.Tokens.Distinct().ToArray() };
}
