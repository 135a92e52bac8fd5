using System.CommandLine;
using OrleansLlm.Client.Commands;

// A plain command named olm as the root (a RootCommand takes the assembly's name, Client), with help and version.
var root = new Command("olm", "olm: distributed LLM inference on Orleans. Without --gateway, commands start an embedded cluster in this process."
    + $"{Environment.NewLine}{Environment.NewLine}Environment switches (OLM_*):{Environment.NewLine}{OrleansLlm.Switches.OlmSwitches.Describe()}")
{
    GenerateCommand.Create(),
    ChatCommand.Create(),
    TokenizeCommand.Create(),
    PerplexityCommand.Create(),
    DeployCommand.Create(),
    UndeployCommand.Create(),
    StatusCommand.Create(),
    BenchCommand.Create(),
    CheckpointCommand.Create(),
    ModelsCommand.Create(),
    SparsifyCommand.Create(),
    SiloCommand.Create(),
    CertCommand.Create(),
};
root.Options.Add(new System.CommandLine.Help.HelpOption());
root.Options.Add(new VersionOption());
// Ctrl+C cancels the command's token; it then has this long to cancel its request (freeing the KV cache) and stop.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
