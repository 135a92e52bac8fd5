using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// Attention of a block of queries over one block of keys: the normalised output and its log-sum-exp, both float32.
/// Two partial results over disjoint key blocks merge into the result over their union (online softmax), which is
/// what Ring, Striped and KV-Runahead attention are made of.
/// </summary>
public sealed class PartialAttention(Tensor output, Tensor lse) : IDisposable
{
    /// <summary>[H, Sq, D] float32; rows that saw no key are 0.</summary>
    public Tensor Output { get; } = output;

    /// <summary>[H, Sq] float32; -inf for rows that saw no key.</summary>
    public Tensor Lse { get; } = lse;

    /// <summary>The partial of queries q [H, Sq, D] that saw no key.</summary>
    public static PartialAttention Empty(Tensor q) =>
        new(zeros(q.shape, ScalarType.Float32, q.device),
            full(q.shape[0], q.shape[1], Scalars.NegativeInfinity, ScalarType.Float32, q.device));

    /// <summary>
    /// Merges two partials of the same queries: out = (e^lse_a·out_a + e^lse_b·out_b) / (e^lse_a + e^lse_b), in the
    /// stable form out_a − σ(lse_b − lse_a)·(out_a − out_b). Rows empty on both sides stay empty.
    /// </summary>
    public static PartialAttention Merge(PartialAttention a, PartialAttention b)
    {
        var (output, lse) = Layers.LayerCalls.Merge(a.Output, a.Lse, b.Output, b.Lse);
        return new PartialAttention(output, lse);
    }

    public void Dispose()
    {
        Output.Dispose();
        Lse.Dispose();
    }
}
