namespace OrleansLlm.Engine.Memory;

/// <summary>
/// What a weight store has done so far: blocks loaded, time its loader spent loading them, and time compute spent
/// waiting for a block (what of the loading did not hide behind compute).
/// </summary>
public sealed record WindowStats(int Window, int Blocks, long Loads, double LoadMs, double StallMs)
{
    public static WindowStats Resident(int blocks) => new(0, blocks, 0, 0, 0);
}
