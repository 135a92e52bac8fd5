using OrleansLlm.Engine.Cuda;
using OrleansLlm.Engine.Parallel;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// The NCCL communicators of this silo's tensor-parallel groups whose ranks are all on its GPUs: one clique per list of
/// GPUs, made once by whichever rank asks first (one call makes every rank's communicator) and kept for the next
/// deployment there. A GPU serves one group's collectives at a time: two groups over the same GPUs could launch their
/// all-reduces in opposite orders on two devices and wait on each other forever, so a second group keeps to messages.
/// </summary>
public sealed class GpuCliques
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int[]> _groups = new();
    private readonly Dictionary<string, Lazy<int>> _cliques = new();

    /// <summary>The collective of <paramref name="rank"/> in <paramref name="group"/>, or null where its GPUs are taken.</summary>
    public DeviceCollective? For(string group, int[] devices, int rank)
    {
        Lazy<int> clique;
        lock (_lock)
        {
            if (_groups.TryGetValue(group, out var held) ? !held.SequenceEqual(devices)
                : _groups.Values.Any(g => g.Intersect(devices).Any()))
                return null;
            _groups[group] = devices;
            var name = string.Join(',', devices);
            if (!_cliques.TryGetValue(name, out clique!))
                _cliques[name] = clique = new Lazy<int>(() => NativeCuda.NcclClique(devices), LazyThreadSafetyMode.ExecutionAndPublication);
        }
        try
        {
            return new DeviceCollective(clique.Value, rank);
        }
        catch
        {
            // A failed NCCL setup must not hold these GPUs, nor be cached for the next deployment on them.
            lock (_lock)
            {
                _groups.Remove(group);
                _cliques.Remove(string.Join(',', devices));
            }
            throw;
        }
    }

    /// <summary>Frees a group's GPUs for another group.</summary>
    public void Release(string group)
    {
        lock (_lock) _groups.Remove(group);
    }
}
