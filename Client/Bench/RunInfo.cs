namespace OrleansLlm.Client.Bench;

/// <summary>
/// Where and how a benchmark ran, written into its JSON: the command, the machine, and the commit and card that the
/// running script names (OLM_COMMIT, OLM_CARD; bench/gpu-suite.sh sets them on the GPU machine).
/// </summary>
internal sealed record RunInfo(string Command, string Machine, int Cores, string? Commit, string? Card, string Time)
{
    public static RunInfo Current() => new(
        "olm " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1)), Environment.MachineName, Environment.ProcessorCount,
        OrleansLlm.Switches.OlmSwitches.Commit.Value, OrleansLlm.Switches.OlmSwitches.Card.Value,
        DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
}
