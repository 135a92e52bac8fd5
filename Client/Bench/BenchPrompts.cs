namespace OrleansLlm.Client.Bench;

internal static class BenchPrompts
{
    /// <summary>Random prompt ids (never 0..2: pad, bos, eos), seeded so every configuration sees the same prompts.</summary>
    public static int[] Random(int length, int vocab, int seed)
    {
        var rng = new System.Random(1000 + seed);
        return Enumerable.Range(0, length).Select(_ => rng.Next(3, vocab)).ToArray();
    }
}
