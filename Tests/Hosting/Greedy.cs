using OrleansLlm.Engine;
using OrleansLlm.Engine.Generation;

namespace OrleansLlm.Tests.Hosting;

/// <summary>The independent reference: greedy ids from the in-process engine, no Orleans involved.</summary>
public static class Greedy
{
    public static async Task<int[]> Ids(string modelDir, int[] prompt, int maxTokens)
    {
        using var local = LocalModel.Load(modelDir);
        var ids = new List<int>();
        await foreach (var t in local.GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = maxTokens })) ids.Add(t.Id);
        return ids.ToArray();
    }
}
