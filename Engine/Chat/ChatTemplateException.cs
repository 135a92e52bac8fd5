namespace OrleansLlm.Engine.Chat;

/// <summary>
/// A chat template that does not parse, that refuses a conversation (its <c>raise_exception</c>, whose message is the
/// whole message), that fails while rendering, or that goes past what one render may take. Always one line, except a
/// <c>raise_exception</c> message that has several.
/// </summary>
public sealed class ChatTemplateException(string message) : Exception(message);
