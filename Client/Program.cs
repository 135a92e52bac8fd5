using System.CommandLine;
using OrleansLlm.Client.Commands;

var root = new RootCommand("olm: distributed LLM inference on Orleans. Without --gateway, commands start an embedded cluster in this process.")
{
    GenerateCommand.Create(),
    TokenizeCommand.Create(),
    PerplexityCommand.Create(),
    DeployCommand.Create(),
    StatusCommand.Create(),
    BenchCommand.Create(),
    SiloCommand.Create(),
    CertCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
