namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A request the runtime refuses or cannot complete, with a one-line reason for the user and its kind. Grains translate
/// engine errors into it, so a client needs no engine assembly to read them.
/// </summary>
[GenerateSerializer, Alias("olm.OlmException")]
public sealed class OlmException : Exception
{
    public OlmException(string message, OlmErrorKind kind = OlmErrorKind.Failed) : base(message) => Kind = kind;
    public OlmException(string message, Exception inner) : base(message, inner) { }

    [Id(0)] public OlmErrorKind Kind { get; private set; }
}
