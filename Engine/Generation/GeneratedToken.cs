namespace OrleansLlm.Engine.Generation;

/// <summary>
/// One generated token: its id, the text it completes (empty while a multi-byte character or a possible stop string
/// is pending), and, on the last token, why generation stopped.
/// </summary>
public sealed record GeneratedToken(int Id, string Text, StopReason? Stop = null);
