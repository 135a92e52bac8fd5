using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Shards;

/// <summary>The engine's compute runner on a device executor.</summary>
internal sealed class ExecutorRunner(DeviceExecutor executor) : IComputeRunner
{
    public Task<T> Run<T>(Func<T> work) => executor.RunAsync(work);
}
