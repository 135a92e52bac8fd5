namespace OrleansLlm.Engine.Chat;

/// <summary>One turn of a conversation as chat templates read it: <c>message['role']</c>, <c>message['content']</c>.</summary>
public sealed record ChatMessage(string Role, string Content);
