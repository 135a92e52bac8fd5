using System.CommandLine;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>olm tokenize: the model's token ids for a text.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var text = new Option<string>("--text") { Description = "text to tokenize", Required = true };
        var command = new Command("tokenize", "Show the token ids of a text under the model's tokenizer");
        common.AddTo(command, deployment: false);
        command.Options.Add(text);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            await using var session = await Session.OpenAsync(common, r, ct);
            var ids = await session.Client.GetGrain<ITokenizerGrain>(common.ModelOf(r)).EncodeAsync(r.GetValue(text)!);
            if (r.GetValue(common.Json)) JsonLine.Write(new { ids });
            else Console.Out.WriteLine(string.Join(",", ids));
        }));
        return command;
    }
}
