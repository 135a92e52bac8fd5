namespace OrleansLlm.Engine.Parallel;

/// <summary>
/// A rank of a tensor-parallel group whose ranks are all GPUs of this process: its partial sums are added by NCCL on
/// the devices (<see cref="Cuda.NativeCuda.NcclClique"/>) rather than carried in messages.
/// </summary>
public sealed record DeviceCollective(int Clique, int Rank);
