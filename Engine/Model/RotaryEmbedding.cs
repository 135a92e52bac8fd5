using OrleansLlm.Engine.Config;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// RoPE with Hugging Face's frequencies (default, linear and llama3 scaling) computed in float32 exactly as transformers
/// does, so logits agree to the last bits that matter. Positions are global: a shard holding tokens 4096.. rotates them
/// as 4096.., whatever slice of the sequence it has.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _invFreq; // [D/2] float32

    public RotaryEmbedding(ModelConfig config, Device device)
    {
        using var scope = NewDisposeScope();
        var dim = config.HeadDim;
        var exponents = arange(0, dim, 2, ScalarType.Int64).to(ScalarType.Float32).div(C(dim));
        var inv = pow(tensor((float)config.Rope.Theta), exponents).reciprocal();
        inv = config.Rope.Type switch
        {
            "linear" => inv.div(C(config.Rope.Factor)),
            "llama3" => Llama3(inv, config.Rope),
            _ => inv,
        };
        _invFreq = inv.to(device).MoveToOuterDisposeScope();
    }

    private static Tensor Llama3(Tensor inv, RopeConfig r)
    {
        var old = (float)r.OriginalMaxPositions;
        var lowWavelen = C(old / (float)r.LowFreqFactor);
        var highWavelen = C(old / (float)r.HighFreqFactor);
        var wavelen = inv.reciprocal().mul(C(2 * (float)Math.PI));
        var scaled = where(wavelen.gt(lowWavelen), inv.div(C(r.Factor)), inv);
        var smooth = wavelen.reciprocal().mul(C(old)).sub(C(r.LowFreqFactor)).div(C(r.HighFreqFactor - r.LowFreqFactor));
        var smoothed = smooth.neg().add(C(1)).mul(scaled).div(C(r.Factor)).add(smooth.mul(scaled));
        var medium = wavelen.lt(highWavelen).logical_not().logical_and(wavelen.gt(lowWavelen).logical_not());
        return where(medium, smoothed, scaled);
    }

    /// <summary>
    /// A float32 constant as a 0-dim tensor: the caller's dispose scope keeps it alive through the native call (an
    /// implicit Scalar is not tracked and can be finalized mid-call; see <see cref="Scalars"/>), and float32 operands
    /// give the same bits as transformers' Python floats on float32 tensors.
    /// </summary>
    private static Tensor C(double value) => tensor((float)value);

    /// <summary>The inverse frequencies [D/2] in float32 (for tests against the reference formula).</summary>
    internal Tensor InverseFrequencies => _invFreq;

    /// <summary>cos and sin tables [S, D] for the given global positions [S] (int64), in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) Tables(Tensor positions, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var freqs = positions.to(ScalarType.Float32).unsqueeze(1).mul(_invFreq.unsqueeze(0)); // [S, D/2]
        var emb = cat([freqs, freqs], 1);                                                       // [S, D]
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    public void Dispose() => _invFreq.Dispose();
}
