using System.Diagnostics;
using OrleansLlm.Engine.Cuda;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Parallel;

/// <summary>
/// Times the device all-reduce tensor-parallel ranks on GPUs of one process make (a thread a rank, as each rank's
/// executor makes them): <c>count</c> float32 sums of <c>elements</c> in a row, as one TorchScript call, the way the
/// layers call them; the answer is the mean microseconds one takes.
/// </summary>
public static class DeviceAllReduceTiming
{
    public static double MicrosEach(int ranks, long elements, int count)
    {
        if (!NativeCuda.Loaded) throw new InvalidOperationException($"the native component is not loaded: {NativeCuda.Unavailable}");
        if (ranks < 2 || ranks > cuda.device_count()) throw new ArgumentException($"{ranks} ranks need as many GPUs (this machine has {cuda.device_count()})");
        var clique = NativeCuda.NcclClique(Enumerable.Range(0, ranks).ToArray());
        using var start = new Barrier(ranks);
        var elapsed = new double[ranks];
        var errors = new Exception?[ranks];
        var threads = Enumerable.Range(0, ranks).Select(rank => new Thread(() =>
        {
            try { Time(rank); }
            catch (Exception e) { errors[rank] = e; start.RemoveParticipant(); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new InvalidOperationException($"all-reduce timing failed: {error.Message}", error);
        return elapsed.Max() / count;

        void Time(int rank)
        {
            var device = new Device(TorchSharp.DeviceType.CUDA, rank);
            using var t = zeros([elements], ScalarType.Float32, device);
            Model.Layers.LayerCalls.AllReduceLoop(t, clique, rank, 50).Dispose(); // NCCL sets up its channels on first use
            cuda.synchronize(device);
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            Model.Layers.LayerCalls.AllReduceLoop(t, clique, rank, count).Dispose();
            cuda.synchronize(device);
            elapsed[rank] = clock.Elapsed.TotalMicroseconds;
        }
    }
}
