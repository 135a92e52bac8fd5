using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>Runs a command's work: errors become one line on stderr and a non-zero exit, never a stack trace.</summary>
internal static class Cli
{
    public static async Task<int> Run(Func<Task> work)
    {
        try
        {
            await work();
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("olm: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"olm: {OneLine(e)}");
            return e is ArgumentException or OlmException ? 2 : 1;
        }
    }

    private static string OneLine(Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
        if (Connection.ClusterErrors.Describe(inner) is { } unreachable) return unreachable;
        return inner.Message.Split('\n', 2)[0].Trim();
    }
}
