namespace OrleansLlm.Tests.Generation;

/// <summary>
/// HF transformers' temperature, top-k, top-p and min-p warpers written again on plain float64 arrays, independent
/// of the Sampler and of TorchSharp, to check the Sampler's distribution against.
/// </summary>
internal static class SamplingReference
{
    /// <summary>Probability of every token after all filters; removed tokens get exactly 0.</summary>
    public static double[] Probabilities(double[] logits, double temperature, int topK, double topP, double minP)
    {
        var scores = logits.Select(x => x / temperature).ToArray();
        if (topK > 0)
        {
            var kth = scores.OrderByDescending(x => x).ElementAt(Math.Min(topK, scores.Length) - 1);
            Remove(scores, i => scores[i] < kth);
        }

        if (topP < 1)
        {
            var ascending = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
            var probs = Softmax(scores);
            var cumulative = 0.0;
            var removed = new bool[scores.Length];
            for (var rank = 0; rank < ascending.Length - 1; rank++)
            {
                cumulative += probs[ascending[rank]];
                removed[ascending[rank]] = cumulative <= 1 - topP;
            }

            Remove(scores, i => removed[i]);
        }

        if (minP > 0)
        {
            var probs = Softmax(scores);
            var top = probs.Max();
            Remove(scores, i => probs[i] < minP * top);
        }

        return Softmax(scores);
    }

    public static double[] Softmax(double[] scores)
    {
        var max = scores.Max();
        var exp = scores.Select(x => Math.Exp(x - max)).ToArray();
        var sum = exp.Sum();
        return exp.Select(x => x / sum).ToArray();
    }

    private static void Remove(double[] scores, Func<int, bool> removed)
    {
        var marks = Enumerable.Range(0, scores.Length).Select(removed).ToArray();
        for (var i = 0; i < scores.Length; i++)
        {
            if (marks[i])
            {
                scores[i] = double.NegativeInfinity;
            }
        }
    }
}
