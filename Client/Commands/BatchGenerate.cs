using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>
/// olm generate with several --prompt-ids: every prompt at once (the deployment batches them), or one after another
/// with --one-by-one; each one's output on its own line, or with --json one object holding every request's ids and text
/// in the order given.
/// </summary>
internal static class BatchGenerate
{
    public static async Task RunAsync(IClusterClient client, GenerateRequest[] requests, bool oneByOne, bool json, CancellationToken ct)
    {
        async Task<(List<int> Ids, string Text)> One(GenerateRequest r)
        {
            var ids = new List<int>();
            var text = new System.Text.StringBuilder();
            await foreach (var chunk in client.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(r, ct))
            {
                ids.AddRange(chunk.Ids);
                text.Append(chunk.Text);
            }
            return (ids, text.ToString());
        }
        var results = new List<(List<int> Ids, string Text)>();
        if (oneByOne) foreach (var r in requests) results.Add(await One(r));
        else results.AddRange(await Task.WhenAll(requests.Select(One)));
        if (json) JsonLine.Write(new { requests = results.Select(x => new { ids = x.Ids, text = x.Text }) });
        else foreach (var (ids, text) in results) Console.Out.WriteLine(text.Length > 0 ? text : string.Join(",", ids));
    }
}
