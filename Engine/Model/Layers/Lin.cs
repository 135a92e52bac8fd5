using OrleansLlm.Engine.Model.Script;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// One linear layer's tensors, as the layer scripts read them (Parts/Linear.torchscript): a float weight [N, K]; or
/// int8 rows with their float32 scale per row (LLM.int8()); or, for llm.npu's static int8, also the calibrated input
/// scale, the outlier channels its shadow computes and those channels' weight columns on the host. An absent tensor
/// is empty (<see cref="None"/>): a float linear has no scale, a linear without bias no bias.
/// </summary>
internal sealed record Lin(Tensor Weight, Tensor Scale, Tensor Bias, Tensor InputScale, Tensor Channels, Tensor Columns) : IScriptRecord
{
    /// <summary>Stands for every absent tensor (the scripts test for no elements); it belongs to the process.</summary>
    public static readonly Tensor None = empty(0).DetachFromDisposeScope();

    public static Lin Float(Tensor weight, Tensor? bias = null) => new(weight, None, bias ?? None, None, None, None);

    public static Lin Int8(Tensor rows, Tensor scale, Tensor? bias = null) => new(rows, scale, bias ?? None, None, None, None);

    public bool IsFloat => Scale.numel() == 0;

    /// <summary>The tensors this linear holds (not the shared empty one).</summary>
    public IEnumerable<Tensor> Held => new[] { Weight, Scale, Bias, InputScale, Channels, Columns }.Where(t => !ReferenceEquals(t, None));
}
