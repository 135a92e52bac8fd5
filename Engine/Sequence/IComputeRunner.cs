namespace OrleansLlm.Engine.Sequence;

/// <summary>Runs tensor work where it must run (a device thread), so the algorithms can await between pieces.</summary>
public interface IComputeRunner
{
    Task<T> Run<T>(Func<T> work);
}
