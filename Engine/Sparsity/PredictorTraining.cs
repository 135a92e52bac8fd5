using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace OrleansLlm.Engine.Sparsity;

/// <summary>
/// Deja Vu's predictors: for each layer two low-rank maps (hidden → r → F neurons, hidden → r → Hq heads) from the
/// residual before the layer before (lookahead; layer 0 reads its own input), scaled to unit RMS, trained with
/// TorchSharp's autograd and Adam (<see cref="HeldAdam"/>) on binary cross-entropy. The target of a neuron (or head) for a token is the share of
/// the sets {top 75%, top 50%, top 25%} by |SiLU(gate)·up| (head: output norm) that hold it, so one predictor ranks
/// well at every sparsity and the deployment takes its top k.
/// </summary>
public static class PredictorTraining
{
    public static readonly double[] LabelSparsities = [0.25, 0.5, 0.75];

    public sealed record Settings(int Rank, int Steps = 400, double LearningRate = 3e-3, int Seed = 1);

    /// <summary>Per-token soft labels [N, n] from scores [N, n]: the share of the top sets each entry is in.</summary>
    public static Tensor Labels(Tensor scores)
    {
        using var scope = NewDisposeScope();
        var n = scores.shape[1];
        var ranks = scores.argsort(1, descending: true).argsort(1);   // 0: the largest
        var label = zeros_like(scores);
        foreach (var s in LabelSparsities)
            label += ranks.lt(SparsityOptions.KeptOf(s, n)).to(ScalarType.Float32);
        return (label / LabelSparsities.Length).MoveToOuterDisposeScope();
    }

    /// <summary>A predictor's two matrices [r, h] and [n, r], trained on inputs [N, h] for scores [N, n].</summary>
    public static (Tensor Down, Tensor Up) Train(Tensor inputs, Tensor scores, Settings settings)
    {
        using var scope = NewDisposeScope();
        var (h, n) = (inputs.shape[1], scores.shape[1]);
        var rank = Math.Min(settings.Rank, (int)Math.Min(h, n));
        var x = Normalize(inputs);
        var labels = Labels(scores);
        var g = new Generator((ulong)settings.Seed);
        var down = nn.Parameter(randn([rank, h], generator: g) / Math.Sqrt(h));
        var up = nn.Parameter(randn([n, rank], generator: g) / Math.Sqrt(rank));
        using var optimizer = new HeldAdam([down, up], settings.LearningRate);
        for (var step = 0; step < settings.Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            var logits = x.matmul(down.t()).matmul(up.t());
            var loss = F.binary_cross_entropy_with_logits(logits, labels);
            loss.backward();
            optimizer.Step();
        }
        using var noGrad = no_grad();
        return (down.detach().clone().MoveToOuterDisposeScope(), up.detach().clone().MoveToOuterDisposeScope());
    }

    /// <summary>The predictors' input: the residual at unit RMS (as Sparse.torchscript's rms_plain).</summary>
    public static Tensor Normalize(Tensor x)
    {
        using var scope = NewDisposeScope();
        var xf = x.to(ScalarType.Float32);
        return (xf * (xf.pow(2).mean([1], keepdim: true) + 1e-6).rsqrt()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Recall at a sparsity: of each token's true top k (by score), the share its predicted top k holds, averaged over
    /// tokens. A random choice of k recalls 1 − sparsity on average.
    /// </summary>
    public static double Recall(Tensor down, Tensor up, Tensor inputs, Tensor scores, double sparsity)
    {
        using var scope = NewDisposeScope();
        var n = scores.shape[1];
        var k = SparsityOptions.KeptOf(sparsity, n);
        var predicted = Normalize(inputs).matmul(down.t()).matmul(up.t());
        var mine = zeros_like(scores).scatter_(1, predicted.topk((int)k, 1).indexes, ones(scores.shape[0], k));
        var truth = zeros_like(scores).scatter_(1, scores.topk((int)k, 1).indexes, ones(scores.shape[0], k));
        return ((mine * truth).sum() / (truth.sum())).item<float>();
    }
}
