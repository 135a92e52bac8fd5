namespace OrleansLlm.Client.Commands;

internal static class IdList
{
    /// <summary>Parses "1,2,3" (spaces allowed) into token ids, with the position of anything that is not one.</summary>
    public static int[] Parse(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out ids[i]))
                throw new ArgumentException($"{option}: '{parts[i]}' at position {i} is not a token id");
        return ids.Length > 0 ? ids : throw new ArgumentException($"{option} is empty");
    }
}
