namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// What kind of refusal an <see cref="OlmException"/> is, so a front end (the HTTP API, the console) answers with the
/// right status without reading the message.
/// </summary>
[GenerateSerializer, Alias("olm.OlmErrorKind")]
public enum OlmErrorKind
{
    /// <summary>The runtime could not complete a valid request.</summary>
    Failed,

    /// <summary>The request itself is wrong: a bad parameter, a prompt the model cannot take, a template's refusal.</summary>
    BadRequest,

    /// <summary>No such deployment.</summary>
    NotFound,

    /// <summary>Prompt plus tokens to generate exceed the model's context.</summary>
    ContextOverflow,

    /// <summary>No room now (KV cache full); the same request may succeed later.</summary>
    Busy,

    /// <summary>The deployment exists but cannot serve: loading, or failed.</summary>
    Unavailable,
}
