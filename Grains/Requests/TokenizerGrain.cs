namespace OrleansLlm.Grains.Requests;

/// <summary>Tokenizes on whichever silo is at hand (the key is the model folder as the silos see it).</summary>
[StatelessWorker]
public sealed class TokenizerGrain(TokenizerCache tokenizers) : Grain, ITokenizerGrain
{
    public Task<int[]> EncodeAsync(string text) => Task.FromResult(tokenizers.Get(this.GetPrimaryKeyString()).Encode(text));

    public Task<string> DecodeAsync(int[] ids) => Task.FromResult(tokenizers.Get(this.GetPrimaryKeyString()).Decode(ids));
}
