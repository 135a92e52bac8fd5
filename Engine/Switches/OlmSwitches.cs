namespace OrleansLlm.Switches;

/// <summary>
/// Every OLM_* environment variable the programs read, with what it does; <c>olm --help</c> and README list them from
/// here. They are switches for measuring, for the native build and for the environment around olm, not settings of a
/// deployment (those are options, and travel with it). An empty variable counts as unset.
/// </summary>
public static class OlmSwitches
{
    public sealed record Switch(string Name, string Meaning)
    {
        public string? Value => Environment.GetEnvironmentVariable(Name) is { Length: > 0 } v ? v : null;

        /// <summary>Set to 0: a path that is on by default is turned off (for comparison).</summary>
        public bool TurnedOff => Value == "0";
    }

    // Engine: the fast path's pieces, each on by default.
    public static readonly Switch Native = new("OLM_NATIVE", "path of libolm_cuda.so (Native/build.sh); default: beside the program");
    public static readonly Switch Fused = new("OLM_FUSED", "0: the portable layer parts instead of the native fused kernels");
    public static readonly Switch CudaGraphs = new("OLM_CUDA_GRAPHS", "0: decode steps run eagerly instead of replaying CUDA graphs");
    public static readonly Switch Varlen = new("OLM_VARLEN", "0: a batch's prefill chunks padded instead of one variable-length attention call");
    public static readonly Switch Jit = new("OLM_JIT", "static: TorchScript without profiling; fused: with its fuser on (both to compare)");
    public static readonly Switch SparseChunkKb = new("OLM_SPARSE_CHUNK_KB", "KiB of gathered weights a sparse decode step takes at a time (default 2048)");
    public static readonly Switch DeviceAllReduce = new("OLM_DEVICE_ALLREDUCE", "0: tensor-parallel ranks on one silo's GPUs add by messages, not NCCL");
    public static readonly Switch Trace = new("OLM_TRACE", "FILE: one line a batch (rows, decodes, chunks, compute and all-reduce ms)");

    // Around olm: defaults for options, and what bench records.
    public static readonly Switch Redis = new("OLM_REDIS", "default of --redis (the cluster's membership in Redis)");
    public static readonly Switch ClusterId = new("OLM_CLUSTER_ID", "default of --cluster-id (olm)");
    public static readonly Switch TlsCert = new("OLM_TLS_CERT", "default of --tls-cert (this node's certificate, .pfx)");
    public static readonly Switch TlsCa = new("OLM_TLS_CA", "default of --tls-ca (the cluster's CA certificate)");
    public static readonly Switch Log = new("OLM_LOG", "1: a client's own Orleans log on stderr");
    public static readonly Switch Commit = new("OLM_COMMIT", "the commit olm bench records (bench/gpu-suite.sh sets it)");
    public static readonly Switch Card = new("OLM_CARD", "the card olm bench records (bench/gpu-suite.sh sets it)");

    public static IReadOnlyList<Switch> All { get; } =
        [Native, Fused, CudaGraphs, Varlen, Jit, SparseChunkKb, DeviceAllReduce, Trace, Redis, ClusterId, TlsCert, TlsCa, Log, Commit, Card];

    /// <summary>The list for <c>--help</c>: one line a switch.</summary>
    public static string Describe()
    {
        var width = All.Max(s => s.Name.Length);
        return string.Join(Environment.NewLine, All.Select(s => $"  {s.Name.PadRight(width)}  {s.Meaning}"));
    }
}
