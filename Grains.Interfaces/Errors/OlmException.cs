namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A request the runtime refuses or cannot complete, with a one-line reason for the user and its kind. Grains translate
/// engine errors into it, so a client needs no engine assembly to read them.
/// </summary>
[GenerateSerializer, Alias("olm.OlmException")]
public sealed class OlmException : Exception
{
    public OlmException(string message, OlmErrorKind kind = OlmErrorKind.Failed, string? field = null) : base(message)
    {
        Kind = kind;
        Field = field;
    }

    public OlmException(string message, Exception inner) : base(message, inner) { }

    [Id(0)] public OlmErrorKind Kind { get; private set; }

    /// <summary>The <see cref="GenerateRequest"/> member at fault (nameof), when one is: the HTTP API names it as param.</summary>
    [Id(1)] public string? Field { get; private set; }
}
