using static TorchSharp.torch;

namespace OrleansLlm.Engine.Parallel;

/// <summary>
/// How the ranks of a tensor-parallel group add their partial sums: every rank gives its partial of the same operation
/// and gets the total back, summed in rank order so every rank continues from the same bits. Between grains it is
/// messages (star or all-to-all); in-process (tests) a shared buffer; on GPUs of one silo a device collective.
/// </summary>
public interface IAllReduce
{
    /// <summary>
    /// The sum over the ranks of this operation's partials; takes the partial over, and the caller owns the total. The
    /// total may be on another device (a peer's GPU, the host when it came over the wire): the caller moves it.
    /// </summary>
    Task<Tensor> SumAsync(Tensor partial);
}
