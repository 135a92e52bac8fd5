using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// xoshiro256** seeded through SplitMix64. The sampler keeps its own generator rather than torch's so that a seed
/// names the same draws on every device and libtorch version, and so that other code using torch's global RNG (weight
/// init, dropout in tests) cannot shift a request's sequence. System.Random is avoided because its algorithm is not
/// specified (.NET 6 replaced the unseeded one and keeps the seeded one only for compatibility).
/// </summary>
internal sealed class SamplingRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public SamplingRandom(ulong seed)
    {
        // SplitMix64 spreads any seed (0 included) into a state that is never all zeros.
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>A seed from the OS, for requests that did not ask for reproducibility.</summary>
    public static ulong NewSeed()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits, the full precision of a double.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
