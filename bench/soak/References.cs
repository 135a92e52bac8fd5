namespace OrleansLlm.Soak;

/// <summary>The greedy answers of the undisturbed cluster, one request at a time, that every answer under load must equal.</summary>
internal sealed class References
{
    public const int Tokens = 24;

    public string[] Prompts { get; } =
        ["Once upon a time", "Tom had a red ball.", "The cat sat on the mat and", "Lily went to the park", "One day, a little bird"];

    public Dictionary<string, string> Completion { get; } = new();
    public Dictionary<string, string> Chat { get; } = new();

    public static async Task<References> MakeAsync(HttpClient http, CancellationToken ct)
    {
        var r = new References();
        var calls = new ApiCalls(http);
        foreach (var p in r.Prompts)
        {
            r.Completion[p] = Served(await calls.Whole("v1/completions", ApiCalls.Completion(p, Tokens, stream: false), ct), p);
            r.Chat[p] = Served(await calls.Whole("v1/chat/completions", ApiCalls.Chat(p, Tokens, stream: false), ct), p);
        }
        return r;
    }

    private static string Served(Answer a, string prompt) =>
        a.Status == 200 ? a.Text : throw new InvalidOperationException($"the undisturbed cluster refused '{prompt}': {a.Status} {a.Error}");
}
