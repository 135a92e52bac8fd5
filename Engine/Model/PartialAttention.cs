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

    /// <summary>
    /// Merges two partials of the same queries: out = (e^lse_a·out_a + e^lse_b·out_b) / (e^lse_a + e^lse_b), in the
    /// stable form out_a − σ(lse_b − lse_a)·(out_a − out_b). Rows empty on both sides stay empty.
    /// </summary>
    public static PartialAttention Merge(PartialAttention a, PartialAttention b)
    {
        using var scope = NewDisposeScope();
        var lse = logaddexp(a.Lse, b.Lse);
        var weightB = sigmoid(b.Lse.sub(a.Lse));
        // σ(−inf − −inf) is NaN: where a is empty take b whole, where b is empty keep a.
        weightB = where(a.Lse.isneginf(), ones_like(weightB), weightB);
        weightB = where(b.Lse.isneginf(), zeros_like(weightB), weightB);
        var output = a.Output.sub(weightB.unsqueeze(-1).mul(a.Output.sub(b.Output)));
        return new PartialAttention(output.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Output.Dispose();
        Lse.Dispose();
    }
}
