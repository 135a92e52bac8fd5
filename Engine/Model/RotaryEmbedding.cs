using TorchSharp;
using OrleansLlm.Engine.Config;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// RoPE with Hugging Face's frequencies (default, linear, llama3 and LongRoPE scaling) computed in float32 exactly as
/// transformers does, so logits agree to the last bits that matter. Positions are global: a shard holding tokens
/// 4096.. rotates them as 4096.., whatever slice of the sequence it has. LongRoPE rotates a position with its short
/// factors below original_max_position_embeddings and its long ones from there on, cos and sin times its attention
/// factor. (transformers switches a whole sequence to the long factors once it passes that length, recomputing its
/// cache; here keys already cached keep the rotation they were written with.)
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _invFreq; // [D/2] float32 (LongRoPE: the short factors')
    private readonly Tensor? _longInvFreq;
    private readonly RopeConfig _rope;
    private readonly double _attentionFactor = 1.0;

    public RotaryEmbedding(ModelConfig config, Device device) : this(config, config.Rope, device) { }

    public RotaryEmbedding(ModelConfig config, RopeConfig rope, Device device)
    {
        using var scope = NewDisposeScope();
        _rope = rope;
        var dim = config.HeadDim;
        var exponents = arange(0, dim, 2, ScalarType.Int64).to(ScalarType.Float32).div(C(dim));
        var powers = pow(tensor((float)rope.Theta), exponents);
        var inv = powers.reciprocal();
        inv = rope.Type switch
        {
            "linear" => inv.div(C(rope.Factor)),
            "llama3" => Llama3(inv, rope),
            "longrope" => LongRope(powers, rope.ShortFactor),
            _ => inv,
        };
        if (rope.IsLongRope)
        {
            _longInvFreq = LongRope(powers, rope.LongFactor).to(device).MoveToOuterDisposeScope();
            var factor = (double)config.MaxPositions / rope.OriginalMaxPositions;
            _attentionFactor = rope.AttentionFactor ?? (factor <= 1 ? 1.0 : Math.Sqrt(1 + Math.Log(factor) / Math.Log(rope.OriginalMaxPositions)));
        }
        _invFreq = inv.to(device).MoveToOuterDisposeScope();
    }

    private static Tensor LongRope(Tensor powers, IReadOnlyList<double> factors) =>
        tensor(factors.Select(f => (float)f).ToArray()).mul(powers).reciprocal();

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
        var p = positions.to(ScalarType.Float32).unsqueeze(1);
        var freqs = p.mul(_invFreq.unsqueeze(0)); // [S, D/2]
        if (_longInvFreq is not null)
        {
            using var from = ((long)_rope.OriginalMaxPositions).ToScalar();
            freqs = where(positions.ge(from).unsqueeze(1), p.mul(_longInvFreq.unsqueeze(0)), freqs);
        }
        var emb = cat([freqs, freqs], 1);         // [S, D]
        var (cos, sin) = (emb.cos(), emb.sin());
        if (_attentionFactor != 1.0)
        {
            using var by = C(_attentionFactor);
            (cos, sin) = (cos.mul(by), sin.mul(by));
        }
        return (cos.to(dtype).MoveToOuterDisposeScope(), sin.to(dtype).MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        _invFreq.Dispose();
        _longInvFreq?.Dispose();
    }
}
