namespace OrleansLlm.Engine.Chat;

/// <summary>A chat template that does not parse, or that refuses a conversation (its <c>raise_exception</c>).</summary>
public sealed class ChatTemplateException(string message) : Exception(message);
