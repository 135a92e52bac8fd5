using OrleansLlm.Engine;
using OrleansLlm.Engine.Parallel;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Client.Embedded;

/// <summary>
/// olm bench --scenario all-reduce: the device all-reduce of tensor-parallel ranks on this machine's GPUs, for a decode
/// step's hidden state of the model (1 row) and of a 32-row batch, no cluster involved (messages between silos are
/// timed by the decode scenario's "ms per all-reduce"). Here, beside the engine, so olm itself needs no libtorch.
/// </summary>
public static class AllReduceProbe
{
    public const int Count = 2000;

    public sealed record Result(int Ranks, int Rows, long Elements, long Bytes, double MicrosEach);

    public static IEnumerable<Result> Run(string model, int[] rankCounts, TextWriter log)
    {
        LibTorch.EnsureLoadable();
        var hidden = ModelSource.Config(model).HiddenSize;
        var gpus = TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0;
        foreach (var skipped in rankCounts.Where(n => n > gpus)) log.WriteLine($"all-reduce over {skipped} GPUs: skipped, this machine has {gpus}");
        foreach (var ranks in rankCounts.Where(n => n > 1 && n <= gpus))
            foreach (var rows in new[] { 1, 32 })
            {
                log.WriteLine($"all-reduce over {ranks} GPUs: {rows} x {hidden} float32, {Count} in a row");
                var elements = (long)rows * hidden;
                yield return new Result(ranks, rows, elements, elements * 4, DeviceAllReduceTiming.MicrosEach(ranks, elements, Count));
            }
    }
}
