using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// A model family, one file in <see cref="ModelFamilies"/>: the <c>architectures</c> entries it reads, what it reads of
/// config.json beyond the keys every family shares (refusing options it does not implement, before any weight is
/// read), and the checkpoint tensors each half of a layer is made of. The layer itself is the one every family runs
/// (Engine/Model/Layer.torchscript); a family chooses its parts through the records' fields (q/k norms, norms after each
/// sub-block, the activation).
/// </summary>
internal interface IModelFamily
{
    /// <summary>The family's name, as <c>olm models</c> lists it.</summary>
    string Name { get; }

    /// <summary>The <c>architectures</c> entries of config.json it serves.</summary>
    IReadOnlyList<string> Architectures { get; }

    /// <summary>Examples of checkpoints it serves, for <c>olm models</c>.</summary>
    string Examples { get; }

    /// <summary>The config with this family's keys read; <paramref name="json"/> is config.json.</summary>
    ModelConfig Configure(ModelConfig common, JsonConfig json);

    /// <summary>The tensors of a shard's attention half of <paramref name="layer"/>.</summary>
    AttnRecipe Attention(ModelConfig c, ModelSlice s, int layer);

    /// <summary>The tensors of a shard's MLP half of <paramref name="layer"/>.</summary>
    MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer);
}
