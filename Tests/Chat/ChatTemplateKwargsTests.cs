using OrleansLlm.Engine.Chat;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Grains.Requests;
using OrleansLlm.Grains.Weights;
using Xunit;

namespace OrleansLlm.Tests.Chat;

/// <summary>
/// A request's chat-template variables reach the template on the prompt path: Qwen3's enable_thinking decides whether
/// the opened assistant turn holds an empty think block, seen in the prompt ids themselves (decoded back to text).
/// </summary>
public sealed class ChatTemplateKwargsTests : IDisposable
{
    private readonly Qwen3ChatFolder _folder = new();
    private readonly Prompts _prompts = new(new ModelFolders(new OlmSiloOptions(), null!));

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Enable_thinking_from_the_request_renders_as_transformers_does()
    {
        var tokenizer = HfTokenizer.Load(_folder.Dir);
        var cases = Qwen3ChatFolder.ThinkingCases().ToList();
        Assert.Contains(cases, c => !c.EnableThinking);
        Assert.Contains(cases, c => c.EnableThinking);
        foreach (var (messages, thinking, expected) in cases)
        {
            var request = new GenerateRequest
            {
                DeploymentId = "qwen3-chat",
                Messages = messages.EnumerateArray()
                    .Select(m => new ChatTurn(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToArray(),
                ChatTemplateKwargs = new() { ["enable_thinking"] = thinking ? "true" : "false" },
            };
            var ids = _prompts.Ids(request, Deployment(), tokenizer, CancellationToken.None);
            Assert.Equal(expected, tokenizer.Decode(ids, skipSpecialTokens: false));
        }
    }

    [Fact]
    public void Without_the_variable_the_template_thinks()
    {
        var request = new GenerateRequest { DeploymentId = "qwen3-chat", Messages = [new ChatTurn("user", "hi")] };
        var text = _prompts.Render(request.Messages, null, Deployment());
        Assert.EndsWith("<|im_start|>assistant\n", text);
    }

    [Theory]
    [InlineData("messages", "1", "is set by the request itself")]
    [InlineData("enable_thinking", "[false]", "must be a bool, number, string or null")]
    [InlineData("enable_thinking", "{\"a\": 1}", "must be a bool, number, string or null")]
    [InlineData("enable_thinking", "fals", "must be a bool, number, string or null")]
    public void A_variable_the_template_cannot_take_is_refused_naming_the_field(string name, string json, string message)
    {
        var e = Assert.Throws<OlmException>(() => _prompts.Render([new ChatTurn("user", "hi")], null, Deployment(),
            templateKwargs: new Dictionary<string, string> { [name] = json }));
        Assert.Contains(message, e.Message);
        Assert.Equal(OlmErrorKind.BadRequest, e.Kind);
        Assert.Equal(nameof(GenerateRequest.ChatTemplateKwargs), e.Field);
    }

    [Fact]
    public void Values_come_back_as_json_loads_gives_them()
    {
        var parsed = TemplateVariables.Parse(new Dictionary<string, string>
        {
            ["b"] = "true", ["i"] = "3", ["big"] = "12345678901234567890", ["f"] = "2.5", ["e"] = "1e3", ["s"] = "\"x\\ny\"", ["n"] = "null",
        });
        Assert.Equal(true, parsed["b"]);
        Assert.Equal(3L, parsed["i"]);
        Assert.Equal(12345678901234567890d, parsed["big"]);
        Assert.Equal(2.5, parsed["f"]);
        Assert.Equal(1000d, parsed["e"]);
        Assert.Equal("x\ny", parsed["s"]);
        Assert.Null(parsed["n"]);
    }

    [Fact]
    public void Template_vars_from_the_command_line_are_json_or_else_text()
    {
        var vars = OrleansLlm.Client.Commands.ChatCommand.TemplateVars(["enable_thinking=false", "name=Bob", "n=3", "quoted=\"3\"", "eq=a=b"])!;
        Assert.Equal("false", vars["enable_thinking"]);
        Assert.Equal("\"Bob\"", vars["name"]);
        Assert.Equal("3", vars["n"]);
        Assert.Equal("\"3\"", vars["quoted"]);
        Assert.Equal("\"a=b\"", vars["eq"]);
        Assert.Null(OrleansLlm.Client.Commands.ChatCommand.TemplateVars([]));
        Assert.Contains("NAME=VALUE", Assert.Throws<OlmException>(() => OrleansLlm.Client.Commands.ChatCommand.TemplateVars(["=x"])).Message);
    }

    private DeploymentInfo Deployment() => new()
    {
        Id = "qwen3-chat", Spec = new DeploySpec { Model = _folder.Dir }, Shards = [], State = DeploymentState.Ready, ContextLength = 512,
    };
}
