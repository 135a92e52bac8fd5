namespace OrleansLlm.Grains.Interfaces;

/// <summary>The tokenizer of a model folder, on whichever silo asks (key: the model folder).</summary>
[Alias("olm.ITokenizerGrain")]
public interface ITokenizerGrain : IGrainWithStringKey
{
    [Alias("Encode")] Task<int[]> EncodeAsync(string text);
    [Alias("Decode")] Task<string> DecodeAsync(int[] ids);
}
