using System.CommandLine;
using System.Text;
using System.Text.Json;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>
/// olm chat: a conversation with a model through its chat template (rendered on the silo). Each line you type is a
/// user message; the reply streams as it is made and joins the history. /reset forgets the history, /exit (or end of
/// input) leaves, Ctrl+C leaves at once.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var system = new Option<string?>("--system") { Description = "a system message that opens the conversation" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "tokens per reply at most", DefaultValueFactory = _ => 256 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong?>("--seed") { Description = "seed for reproducible sampling" };
        var templateVars = new Option<string[]>("--template-var")
        {
            Description = "NAME=VALUE, a chat-template variable (repeatable), e.g. enable_thinking=false; VALUE is read as JSON " +
                          "(true, 3, \"text\", null), else as text",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("chat", "Chat with a model through its chat template: type a message, read the reply; /reset, /exit");
        common.AddTo(command);
        foreach (var o in new Option[] { system, maxTokens, temperature, topP, seed, templateVars }) command.Options.Add(o);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            await using var session = await Session.OpenAsync(common, r, ct);
            var deployment = await session.UseAsync(common.Spec(r), common.PlanGiven(r), quiet: false);
            var template = new GenerateRequest
            {
                DeploymentId = deployment.Id, MaxTokens = r.GetValue(maxTokens), Temperature = r.GetValue(temperature),
                TopP = r.GetValue(topP), Seed = r.GetValue(seed), ChatTemplateKwargs = TemplateVars(r.GetValue(templateVars)),
            };
            await Converse(session.Client, template, r.GetValue(system), r.GetValue(common.Json), ct);
        }));
        return command;
    }

    /// <summary>NAME=VALUE pairs as JSON text per name: a value that is not JSON (a bare word) is taken as a string.</summary>
    internal static Dictionary<string, string>? TemplateVars(string[]? pairs)
    {
        if (pairs is not { Length: > 0 }) return null;
        var vars = new Dictionary<string, string>();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new OlmException($"--template-var takes NAME=VALUE, got '{pair}'", OlmErrorKind.BadRequest);
            var value = pair[(eq + 1)..];
            vars[pair[..eq]] = IsJson(value) ? value : JsonSerializer.Serialize(value);
        }
        return vars;
    }

    private static bool IsJson(string value)
    {
        try
        {
            using var _ = JsonDocument.Parse(value);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task Converse(IClusterClient client, GenerateRequest template, string? system, bool json, CancellationToken ct)
    {
        var opening = system is null ? new List<ChatTurn>() : [new ChatTurn("system", system)];
        var history = new List<ChatTurn>(opening);
        var interactive = !Console.IsInputRedirected;
        if (interactive) Console.Error.WriteLine("(type a message; /reset forgets the conversation, /exit leaves)");
        while (true)
        {
            if (interactive) Console.Error.Write("> ");
            var line = await Console.In.ReadLineAsync(ct);
            if (line is null || line.Trim() == "/exit") return;
            if (line.Trim() == "/reset")
            {
                history = new List<ChatTurn>(opening);
                if (interactive) Console.Error.WriteLine("(conversation reset)");
                continue;
            }
            if (line.Trim().Length == 0) continue;
            history.Add(new ChatTurn("user", line));
            try
            {
                history.Add(new ChatTurn("assistant", await Reply(client, template with { Messages = [.. history] }, json, ct)));
            }
            catch (OlmException e) when (e.Kind is OlmErrorKind.BadRequest or OlmErrorKind.ContextOverflow or OlmErrorKind.Busy)
            {
                // The template refused the conversation, or it outgrew the context: say so and take the message back.
                history.RemoveAt(history.Count - 1);
                Console.Error.WriteLine($"olm: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The reply, streamed as it is made; a reply may span lines, so with --json each comes whole as one JSON line
    /// instead, for a program reading the replies of piped input.
    /// </summary>
    private static async Task<string> Reply(IClusterClient client, GenerateRequest request, bool json, CancellationToken ct)
    {
        var text = new StringBuilder();
        GenerationStats? stats = null;
        await foreach (var chunk in client.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request, ct).WithCancellation(ct))
        {
            ct.ThrowIfCancellationRequested(); // as generate: chunks fetched ahead are not printed after Ctrl+C
            text.Append(chunk.Text);
            stats = chunk.Stats ?? stats;
            if (!json) Console.Out.Write(chunk.Text);
        }
        ct.ThrowIfCancellationRequested();
        if (json) JsonLine.Write(new { reply = text.ToString(), prompt_tokens = stats?.PromptTokens ?? 0, completion_tokens = stats?.GeneratedTokens ?? 0 });
        else Console.Out.WriteLine();
        return text.ToString();
    }
}
