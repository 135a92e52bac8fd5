namespace OrleansLlm.Engine.Sequence;

/// <summary>Runs work inline on the calling thread (tests, single-threaded hosts).</summary>
public sealed class InlineRunner : IComputeRunner
{
    public static readonly InlineRunner Instance = new();
    public Task<T> Run<T>(Func<T> work) => Task.FromResult(work());
}
