using System.Threading.Channels;
using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Serving;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Continuous batching on a deployment's entry shard, on the grain's turns. Each request's decode loop runs here: the
/// scheduler forms a batch from every sequence with work whenever a batch may start (one in flight per pipeline
/// stage), and when a batch returns, each drawn token goes out on its request's stream and, unless the request's plan
/// ends, is fed straight back so the sequence is in the very next batch. Requests join and leave between batches.
/// </summary>
internal sealed class BatchPump(BatchScheduler scheduler, int maxInFlight, Func<BatchMessage, Task<BatchResult>> run)
{
    private readonly Dictionary<Guid, Request> _requests = new();
    private int _inFlight;

    /// <summary>A request's loop: its plan, its draws, its stream of tokens, or (scoring) the sum it waits for.</summary>
    private sealed class Request(TokenPlan? plan)
    {
        public TokenPlan? Plan { get; } = plan;
        public Sampler? Draws { get; } = plan is null ? null : new Sampler(plan.Sampling, plan.SkipDraws);
        public Channel<TokenStep> Tokens { get; } = Channel.CreateUnbounded<TokenStep>(new UnboundedChannelOptions { SingleReader = true });
        public TaskCompletionSource<double> Score { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Produced;
        public double Nll;
    }

    public BatchScheduler Scheduler => scheduler;

    /// <summary>Starts a request's loop; its tokens arrive on the returned stream, which ends with its plan.</summary>
    public ChannelReader<TokenStep> Generate(Guid request, SequenceStart start)
    {
        var plan = new TokenPlan(start.MaxNewTokens, start.EosTokenIds.ToHashSet(), start.Sampling.ToEngine(), start.SkipDraws);
        scheduler.Start(request, start.Prompt, start.Prompt.Length + start.MaxNewTokens, BatchOutput.Next);
        var r = _requests[request] = new Request(plan);
        Kick();
        return r.Tokens.Reader;
    }

    public Task<double> Score(Guid request, int[] ids)
    {
        scheduler.Start(request, ids, ids.Length, BatchOutput.Score);
        var r = _requests[request] = new Request(null);
        Kick();
        return r.Score.Task;
    }

    /// <summary>Forgets a request: its blocks go back and its stream ends.</summary>
    public void Release(Guid request)
    {
        scheduler.Remove(request);
        if (!_requests.Remove(request, out var r)) return;
        r.Tokens.Writer.TryComplete();
        r.Score.TrySetCanceled();
        Kick();
    }

    /// <summary>Forgets every request, ending each stream with <paramref name="reason"/> (the shard unloads under them).</summary>
    public void FailAll(Exception reason)
    {
        foreach (var (id, r) in _requests.ToList())
        {
            scheduler.Remove(id);
            _requests.Remove(id);
            r.Tokens.Writer.TryComplete(reason);
            r.Score.TrySetException(reason);
        }
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
        var formed = BatchTrace.On ? BatchTrace.Now : 0;
        try
        {
            var result = await run(Message(batch));
            scheduler.Complete(batch);
            Answer(batch, result);
            BatchTrace.Batch(batch.Id, formed, batch.Layout.Rows, batch.Layout.Decodes.Count, batch.Layout.Chunks.Count, result.Timings);
        }
        catch (Exception e)
        {
            scheduler.Abandon(batch);
            foreach (var s in batch.Sequences)
                if (_requests.TryGetValue(s.Id, out var r)) { r.Tokens.Writer.TryComplete(e); r.Score.TrySetException(e); }
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
            if (!_requests.TryGetValue(s.Id, out var r)) continue;
            if (entry.Output == BatchOutput.Next)
            {
                var token = result.Tokens[i];
                r.Tokens.Writer.TryWrite(new TokenStep(token, result.Timings, batch.Layout.Rows));
                if (r.Plan!.Ends(token, ++r.Produced)) r.Tokens.Writer.TryComplete();
                else scheduler.Append(s.Id, token);
            }
            else if (entry.Output == BatchOutput.Score)
            {
                // A preempted sequence scores again from its first token: what it scored before is dropped.
                r.Nll = (entry.Start == 0 ? 0 : r.Nll) + result.Nll[i];
                if (s.Pending == 0) r.Score.TrySetResult(r.Nll);
            }
        }
    }

    /// <summary>The batch as the shards take it: the rows' token ids, and per entry its blocks and wants.</summary>
    private BatchMessage Message(ScheduledBatch batch)
    {
        var items = batch.Layout.Entries.Select((e, i) =>
        {
            var s = batch.Sequences[i];
            var draw = e.Output == BatchOutput.Next ? Draw(s) : null;
            var targets = e.Output == BatchOutput.Score
                ? Enumerable.Range(e.Start + 1, e.Count).Select(p => p < s.Tokens.Count ? s.Tokens[p] : -1).ToArray()
                : null;
            return new BatchItem(e.Start, e.Count, e.Blocks.ToArray(), e.Output.ToWire(), draw, targets, e.Ring?.ToArray());
        }).ToArray();
        return new BatchMessage(batch.Id, items, batch.RowTokens(), null, batch.Layout.RingBlocks);
    }

    /// <summary>
    /// The sequence's next draw (its generator advances once per token it samples: a preempted sequence that computes
    /// again draws its pending token with the value it would have had). A request released while its batch formed
    /// still gets a row; the token goes nowhere.
    /// </summary>
    private TokenDraw Draw(ServingSequence s)
    {
        if (!_requests.TryGetValue(s.Id, out var r) || r.Draws is null) return Greedy;
        var row = r.Draws.NextRow();
        if (row.Options.RepetitionPenalty != 1) row = row with { History = s.Tokens.Distinct().ToArray() };
        return row.ToWire();
    }

    private static readonly TokenDraw Greedy = new(new SamplingSpec(0, 0, 1, 0, 1, 0), 0);
}
