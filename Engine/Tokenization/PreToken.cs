namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// A piece of normalized text on its way to the BPE model. <see cref="AtInputStart"/> is true only for the
/// piece that begins the whole input: Metaspace's "first" prepend scheme adds "▁" to that piece alone.
/// </summary>
internal readonly record struct PreToken(string Text, bool AtInputStart);
