namespace OrleansLlm.Grains.Interfaces;

/// <summary>How a sparse deployment chooses each decode token's heads and FFN neurons.</summary>
[GenerateSerializer, Alias("olm.SparsityChoice")]
public enum SparsityChoice
{
    /// <summary>Deja Vu's low-rank predictors (olm sparsify), one layer ahead.</summary>
    [Names("learned", "predictor")] Learned,
    /// <summary>Training-free magnitude thresholds (CATS on |SiLU(gate)|, heads by output norm), calibrated by olm sparsify.</summary>
    [Names("threshold", "teal", "cats")] Threshold,
    /// <summary>The control: as many, drawn uniformly per token.</summary>
    [Names("random")] Random,
    /// <summary>A fixed selection of the same size (speed runs on random weights).</summary>
    [Names("fixed")] Fixed,
}
