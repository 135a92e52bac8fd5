using System.Text.RegularExpressions;
using Orleans.Runtime;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Connection;

/// <summary>
/// Orleans' exceptions for a silo that cannot be reached, said as what happened: which silo, and what to expect.
/// </summary>
internal static partial class ClusterErrors
{
    public static string? Describe(Exception e)
    {
        var text = e.ToString();
        var unreachable = e is SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException
                          || (e is OrleansMessageRejectionException && text.Contains("ConnectionFailedException", StringComparison.Ordinal));
        if (!unreachable) return null;
        var silo = SiloEndpoint().Match(text) is { Success: true } m ? $"silo {m.Groups[1].Value}" : "a silo";
        return $"{silo} of the cluster is unreachable (it may have died): with --redis the others carry on once it is " +
               "declared dead, in seconds, so try again; a seed-based cluster waits for its first silo";
    }

    /// <summary>
    /// Whether a call failed because its silo is gone or going (dead, not yet declared dead, not in the cluster any
    /// more) rather than on its own account.
    /// </summary>
    public static bool SiloGone(Exception e) =>
        e is SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException or OrleansMessageRejectionException
            or TimeoutException or OlmException { Kind: OlmErrorKind.Unavailable };

    [GeneratedRegex(@"S(\d{1,3}(?:\.\d{1,3}){3}:\d+):\d+")]
    private static partial Regex SiloEndpoint();
}
