using System.CommandLine;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>olm generate: deploy (or reuse) the model and stream generated text.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var prompt = new Option<string?>("--prompt") { Description = "prompt text (needs the model's tokenizer.json)" };
        var promptIds = new Option<string[]>("--prompt-ids") { Description = "prompt as token ids: 1,2,3 (repeat it to generate for several prompts at once, in one batch)", AllowMultipleArgumentsPerToken = false };
        var maxTokens = new Option<int>("--max-tokens") { Description = "tokens to generate at most", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "keep the K most likely tokens (0 = off)" };
        var topP = new Option<double>("--top-p") { Description = "nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 1 };
        var minP = new Option<double>("--min-p") { Description = "drop tokens below this fraction of the top probability (0 = off)" };
        var penalty = new Option<double>("--repetition-penalty") { Description = "1 = off", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong?>("--seed") { Description = "seed for reproducible sampling" };
        var oneByOne = new Option<bool>("--one-by-one") { Description = "with several --prompt-ids: each alone, one after another (to compare with one batch)" };
        var stop = new Option<string[]>("--stop") { Description = "stop when this text is generated (repeatable)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("generate", "Generate text from a prompt, streaming tokens as they are made");
        common.AddTo(command);
        foreach (var o in new Option[] { prompt, promptIds, maxTokens, temperature, topK, topP, minP, penalty, seed, stop, oneByOne })
            command.Options.Add(o);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            var text = r.GetValue(prompt);
            var prompts = (r.GetValue(promptIds) ?? []).Select(p => IdList.Parse(p, "--prompt-ids")).ToArray();
            var ids = prompts.Length > 0 ? prompts[0] : null;
            if ((text is null) == (ids is null)) throw new ArgumentException("give exactly one of --prompt or --prompt-ids");
            var json = r.GetValue(common.Json);
            await using var session = await Session.OpenAsync(common, r, ct);
            var deployment = await session.UseAsync(common.Spec(r), common.PlanGiven(r), json);
            var request = new GenerateRequest
            {
                DeploymentId = deployment.Id, Prompt = text, PromptIds = ids, MaxTokens = r.GetValue(maxTokens),
                Temperature = r.GetValue(temperature), TopK = r.GetValue(topK), TopP = r.GetValue(topP),
                MinP = r.GetValue(minP), RepetitionPenalty = r.GetValue(penalty), Seed = r.GetValue(seed),
                StopStrings = r.GetValue(stop) ?? [],
            };
            if (prompts.Length > 1) await BatchGenerate.RunAsync(session.Client, prompts.Select(p => request with { PromptIds = p }).ToArray(), r.GetValue(oneByOne), json, ct);
            else await Stream(session.Client, request, json, deployment.HasTokenizer, ct);
        }));
        return command;
    }

    /// <summary>
    /// Text to stdout as it comes (a model without tokenizer.json has none: its ids are printed instead, and said so);
    /// nothing at all when nothing was generated. Ctrl+C cancels the request, which frees its KV cache.
    /// </summary>
    private static async Task Stream(IClusterClient client, GenerateRequest request, bool json, bool hasTokenizer, CancellationToken ct)
    {
        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        GenerationStats? stats = null;
        await foreach (var chunk in client.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request, ct).WithCancellation(ct))
        {
            // Chunks can arrive faster than they are printed (the stream fetches ahead): Ctrl+C stops the printing too.
            ct.ThrowIfCancellationRequested();
            ids.AddRange(chunk.Ids);
            text.Append(chunk.Text);
            stats = chunk.Stats ?? stats;
            if (!json) Console.Out.Write(chunk.Text);
        }
        // A cancelled call can also end its stream quietly, before or after the last chunk: still a cancelled command.
        ct.ThrowIfCancellationRequested();
        if (json)
        {
            JsonLine.Write(new
            {
                ids, text = text.ToString(), prompt_tokens = stats?.PromptTokens ?? 0, ttft_ms = stats?.TimeToFirstTokenMs ?? 0,
                decode_tokens_per_s = stats?.DecodeTokensPerSecond ?? 0,
            });
            return;
        }
        if (!hasTokenizer && ids.Count > 0)
        {
            Console.Error.WriteLine("olm: the model has no tokenizer.json, so its output is shown as token ids");
            Console.Out.Write(string.Join(",", ids));
        }
        if (ids.Count > 0) Console.Out.WriteLine();
        if (stats is not null)
            Console.Error.WriteLine($"[{stats.PromptTokens} prompt tokens, {stats.GeneratedTokens} generated, first token {stats.TimeToFirstTokenMs:F0} ms, {stats.DecodeTokensPerSecond:F1} tok/s]");
    }
}
