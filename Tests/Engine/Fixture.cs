using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>A Hugging Face fixture: the checkpoint and what transformers computed on it.</summary>
public sealed class Fixture
{
    /// <summary>The newer families (transformers 5.17 made them; ../shared/fixtures/make_families.py).</summary>
    public static readonly string[] Families =
        ["families/qwen3-tiny", "families/gemma2-tiny", "families/gemma3-tiny", "families/phi3-tiny", "families/mistral-swa-tiny",
         "families/mixtral-tiny", "families/qwen3moe-tiny"];

    public static readonly string[] Names = ["llama-tiny", "qwen2-tiny", .. Families];

    public static string DirOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>
    /// Whether transformers' greedy ids are not the model's own continuation of the prompt: make_families.py called
    /// generate with pad_token_id=0, so a prompt holding token 0 had it masked as padding (qwen3-tiny's does). Its
    /// logits (teacher forced, unmasked) still judge the forward and decode paths.
    /// </summary>
    public bool GreedyIdsMaskedAToken => Dir.Contains("families") && GreedyIds[..PromptLength].Contains(0L);

    public string Dir { get; }
    public ModelConfig Config { get; }
    public long[] InputIds { get; }
    public long[] GreedyIds { get; }
    public int PromptLength { get; }
    private readonly string _expected;

    public Fixture(string name)
    {
        Dir = DirOf(name);
        Config = ModelConfig.Load(Dir);
        _expected = Path.Combine(Dir, "expected.safetensors");
        using var file = new SafeTensorsFile(_expected);
        using var input = file.Read("input_ids");
        using var greedy = file.Read("greedy_ids");
        using var prompt = file.Read("prompt_len");
        InputIds = input.data<long>().ToArray();
        GreedyIds = greedy.data<long>().ToArray();
        PromptLength = (int)prompt.data<long>()[0];
    }

    /// <summary>A float32 tensor of expected.safetensors (logits, greedy_logits).</summary>
    public Tensor Expected(string name)
    {
        using var file = new SafeTensorsFile(_expected);
        return file.Read(name);
    }

    public ShardModel LoadModel(ModelSlice? slice = null, ScalarType dtype = ScalarType.Float32, string device = "cpu",
        OrleansLlm.Engine.Quantization.Int8Options? int8 = null, int window = 0)
    {
        using var checkpoint = Checkpoint.Open(Dir);
        var options = new ShardOptions { DType = dtype, Device = device, Int8 = int8, Window = window };
        return ShardModel.Load(Config, slice ?? ModelSlice.Full(Config), options, checkpoint,
            streamed: window > 0 ? StreamingCheckpoint.Open(Dir) : null);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = a.to(ScalarType.Float64).sub(b.to(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }
}
