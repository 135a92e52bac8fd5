using System.CommandLine;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>olm perplexity: exp of the mean negative log-likelihood of ids[1..] given their prefixes.</summary>
internal static class PerplexityCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var ids = new Option<string>("--ids") { Description = "token ids: 1,2,3", Required = true };
        var command = new Command("perplexity", "Score a token sequence under the model");
        common.AddTo(command);
        command.Options.Add(ids);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            var tokens = IdList.Parse(r.GetValue(ids)!, "--ids");
            var json = r.GetValue(common.Json);
            await using var session = await Session.OpenAsync(common, r, ct);
            var deployment = await session.UseAsync(common.Spec(r), common.PlanGiven(r), json);
            var result = await session.Client.GetGrain<IRequestGrain>(Guid.NewGuid()).PerplexityAsync(deployment.Id, tokens, ct);
            if (json) JsonLine.Write(new { perplexity = result.Perplexity, tokens = result.Tokens });
            else Console.Out.WriteLine($"perplexity {result.Perplexity:G6} over {result.Tokens} tokens");
        }));
        return command;
    }
}
