namespace OrleansLlm.Grains.Interfaces;

/// <summary>One message of a conversation: who said it (system, user, assistant, ...) and what.</summary>
[GenerateSerializer, Immutable, Alias("olm.ChatTurn")]
public sealed record ChatTurn([property: Id(0)] string Role, [property: Id(1)] string Content);
