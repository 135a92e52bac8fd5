// OrleansLlm's native CUDA component: what TorchSharp 0.107 cannot reach.
//  - CUDA graphs: capture whatever the calling thread runs on a device (TorchSharp and TorchScript calls included)
//    between olm_graph_begin and olm_graph_end, then replay it in one launch. Capture runs on a pool stream made the
//    thread's current stream, in thread-local mode, so other threads (other devices' executors) may keep working.
//  - Decode kernels (olm_kernels.cu, where build.sh found nvcc): see there.
//  - NCCL: a clique of communicators over GPUs of this process (one per device thread) and the TorchScript op
//    aten::olm_all_reduce_ (in-place sum; torch.olm_all_reduce_ in a script), which a captured graph may contain.
// Built against the libtorch the process loads (PyTorch's, on the GPU machine) by build.sh. Every entry point
// catches and returns an error code; olm_last_error() says what happened.
#include <ATen/cuda/CUDAGraph.h>
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>
#include <nccl.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/library.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

thread_local std::string last_error;

struct Graph {
  at::cuda::CUDAGraph graph;
  c10::cuda::CUDAStream previous = c10::cuda::getDefaultCUDAStream();
  int device = 0;
};

std::mutex cliques_lock;
std::vector<std::vector<ncclComm_t>> cliques;  // clique -> communicator per rank

template <typename F>
int guarded(F&& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown native error";
  }
  return -1;
}

void check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw std::runtime_error(std::string(what) + ": " + ncclGetErrorString(r));
}

ncclDataType_t nccl_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return ncclFloat32;
    case at::kBFloat16: return ncclBfloat16;
    case at::kHalf: return ncclFloat16;
    case at::kDouble: return ncclFloat64;
    default: throw std::runtime_error("all_reduce_: unsupported dtype");
  }
}

// The in-place sum over a clique's ranks, on the tensor's device's current stream (captured into a graph when the
// thread is capturing).
at::Tensor& all_reduce_(at::Tensor& t, int64_t clique, int64_t rank) {
  TORCH_CHECK(t.is_cuda() && t.is_contiguous(), "olm_all_reduce_ needs a contiguous CUDA tensor");
  ncclComm_t comm;
  {
    std::lock_guard<std::mutex> lock(cliques_lock);
    TORCH_CHECK(clique >= 0 && clique < (int64_t)cliques.size(), "olm_all_reduce_: no clique ", clique);
    TORCH_CHECK(rank >= 0 && rank < (int64_t)cliques[clique].size(), "olm_all_reduce_: no rank ", rank);
    comm = cliques[clique][rank];
  }
  auto stream = at::cuda::getCurrentCUDAStream(t.device().index());
  check(ncclAllReduce(t.data_ptr(), t.data_ptr(), t.numel(), nccl_type(t), ncclSum, comm, stream.stream()), "ncclAllReduce");
  return t;
}

}  // namespace

// Registered in aten's namespace: a script compiled from C++ (TorchSharp's jit.compile) resolves `torch.NAME` to
// aten::NAME only; it has no `torch.ops` (that lookup lives in Python's resolver).
TORCH_LIBRARY_FRAGMENT(aten, m) { m.def("olm_all_reduce_(Tensor(a!) t, int clique, int rank) -> Tensor(a!)"); }
TORCH_LIBRARY_IMPL(aten, CUDA, m) { m.impl("olm_all_reduce_", &all_reduce_); }

extern "C" {

int olm_version() { return 1; }

// Whether olm_kernels.cu was built in (its torch.olm_* decode ops are registered).
#ifdef OLM_KERNELS
int olm_kernels() { return 1; }
#else
int olm_kernels() { return 0; }
#endif

const char* olm_last_error() { return last_error.c_str(); }

// Starts capturing this thread's work on `device`; *handle receives the graph.
int olm_graph_begin(int device, void** handle) {
  return guarded([&] {
    auto g = std::make_unique<Graph>();
    g->device = device;
    c10::cuda::CUDAGuard guard(device);
    g->previous = c10::cuda::getCurrentCUDAStream(device);
    auto stream = c10::cuda::getStreamFromPool(false, device);
    // The capturing stream first waits for what the thread queued before (inputs written on its stream).
    at::cuda::CUDAEvent ready;
    ready.record(g->previous);
    ready.block(stream);
    c10::cuda::setCurrentCUDAStream(stream);
    try {
      g->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    } catch (...) {
      c10::cuda::setCurrentCUDAStream(g->previous);
      throw;
    }
    *handle = g.release();
  });
}

// Ends the capture begun by olm_graph_begin and puts the thread's stream back.
int olm_graph_end(void* handle) {
  auto g = static_cast<Graph*>(handle);
  return guarded([&] {
    c10::cuda::CUDAGuard guard(g->device);
    try {
      g->graph.capture_end();
    } catch (...) {
      c10::cuda::setCurrentCUDAStream(g->previous);
      throw;
    }
    auto capturing = c10::cuda::getCurrentCUDAStream(g->device);
    c10::cuda::setCurrentCUDAStream(g->previous);
    // Later work on the thread's own stream comes after anything the capture stream still has queued.
    at::cuda::CUDAEvent done;
    done.record(capturing);
    done.block(g->previous);
  });
}

// Replays the graph on the thread's current stream of its device.
int olm_graph_replay(void* handle) {
  auto g = static_cast<Graph*>(handle);
  return guarded([&] {
    c10::cuda::CUDAGuard guard(g->device);
    g->graph.replay();
  });
}

void olm_graph_free(void* handle) { delete static_cast<Graph*>(handle); }

// TorchScript's executor: whether it profiles and specializes (and whether the tensor-expression fuser compiles fused
// kernels for the shapes it sees). Applies to functions first run after the call.
int olm_jit_options(int profiling, int fuser) {
  return guarded([&] {
    torch::jit::getProfilingMode() = profiling != 0;
    torch::jit::setTensorExprFuserEnabled(fuser != 0);
  });
}

// Communicators over `count` GPUs of this process (devices[i] is rank i's); *clique receives their id.
int olm_nccl_clique(int count, const int* devices, int* clique) {
  return guarded([&] {
    std::vector<ncclComm_t> comms(count);
    check(ncclCommInitAll(comms.data(), count, devices), "ncclCommInitAll");
    std::lock_guard<std::mutex> lock(cliques_lock);
    cliques.push_back(comms);
    *clique = (int)cliques.size() - 1;
  });
}

}  // extern "C"
