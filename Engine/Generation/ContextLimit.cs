namespace OrleansLlm.Engine.Generation;

/// <summary>Checks a request against the model's context and vocabulary before any work is done.</summary>
public static class ContextLimit
{
    public static void Check(IReadOnlyList<int> promptIds, int maxNewTokens, int contextLength, int vocabSize)
    {
        if (promptIds.Count == 0) throw new ArgumentException("the prompt is empty");
        for (var i = 0; i < promptIds.Count; i++)
            if (promptIds[i] < 0 || promptIds[i] >= vocabSize)
                throw new ArgumentException($"token id {promptIds[i]} at position {i} is outside the vocabulary [0, {vocabSize})");
        if ((long)promptIds.Count + maxNewTokens > contextLength)
            throw new ArgumentException(
                $"prompt ({promptIds.Count} tokens) + max new tokens ({maxNewTokens}) exceeds the model context ({contextLength})");
    }
}
