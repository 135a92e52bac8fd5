// OrleansLlm's decode kernels: the fused steps a decode token spends its launches on, registered as TorchScript ops in
// aten's namespace (torch.olm_* in a script) with CUDA implementations only. A script calls them on CUDA tensors and
// keeps its portable code for the CPU. Every kernel reads its inputs in their dtype, computes in float32, and writes
// one rounding; where an op replaces eager PyTorch ops (rope_kv, silu_mul) it rounds where they round, so the tokens
// stay the same with the component or without.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <cmath>

namespace {

constexpr int kWarp = 32;

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
  return v;
}

template <typename T>
__device__ __forceinline__ float f(T x) { return static_cast<float>(x); }

// Rounds a float32 result to T the way an eager op on T tensors does (round to nearest even).
template <typename T>
__device__ __forceinline__ float r(float x) { return static_cast<float>(static_cast<T>(x)); }

// 16-byte loads where rows allow them (V): N elements of T at once.
template <typename T>
struct Vec {
  static constexpr int N = 16 / sizeof(T);
  __device__ __forceinline__ static void load(const T* p, float* out) {
    const uint4 raw = *reinterpret_cast<const uint4*>(p);
    const T* v = reinterpret_cast<const T*>(&raw);
#pragma unroll
    for (int e = 0; e < N; e++) out[e] = f(v[e]);
  }
};

int sms(int device) { return at::cuda::getDeviceProperties(device)->multiProcessorCount; }

// ---------------------------------------------------------------------------------------------------------------
// Rotary embedding of queries and keys plus the KV write: qkv [T, (Hq + 2KV)·D] (rows may be strided) -> q [T, Hq, D]
// rotated; k rotated and v written to keys / values [KV, slots, D] at slots [T]. rope(x) = x·cos + rot(x)·sin with
// both products rounded to T, then the sum, as Kernels.torchscript's rope does in eager ops.
template <typename T>
__global__ void rope_kv_kernel(const T* __restrict__ qkv, int64_t qkv_row, const T* __restrict__ cos,
                               const T* __restrict__ sin, T* __restrict__ q, T* __restrict__ keys, T* __restrict__ values,
                               int64_t kv_head_stride, int64_t kv_slot_stride, const int64_t* __restrict__ slots, int hq,
                               int kvh, int d) {
  // A block per (row t, head): heads [0, hq) queries, [hq, hq + kvh) keys, then values.
  const int t = blockIdx.x, head = blockIdx.y;
  const T* row = qkv + t * qkv_row + (int64_t)head * d;
  const int64_t slot = slots[t];
  const int half = d / 2;
  for (int e = threadIdx.x; e < d; e += blockDim.x) {
    if (head >= hq + kvh) {
      values[(head - hq - kvh) * kv_head_stride + slot * kv_slot_stride + e] = row[e];
      continue;
    }
    const float x = f(row[e]);
    const float other = e < half ? -f(row[e + half]) : f(row[e - half]);
    const float c = f(cos[(int64_t)t * d + e]), s = f(sin[(int64_t)t * d + e]);
    const float y = r<T>(__fadd_rn(r<T>(__fmul_rn(x, c)), r<T>(__fmul_rn(other, s))));
    if (head < hq) q[((int64_t)t * hq + head) * d + e] = static_cast<T>(y);
    else keys[(head - hq) * kv_head_stride + slot * kv_slot_stride + e] = static_cast<T>(y);
  }
}

at::Tensor rope_kv(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin, at::Tensor& keys,
                   at::Tensor& values, const at::Tensor& slots, int64_t q_heads, int64_t kv_heads) {
  TORCH_CHECK(qkv.is_cuda() && qkv.dim() == 2 && qkv.stride(1) == 1, "olm_rope_kv: qkv must be [T, W] with rows contiguous");
  const int64_t t = qkv.size(0), d = keys.size(2);
  TORCH_CHECK(qkv.size(1) >= (q_heads + 2 * kv_heads) * d, "olm_rope_kv: qkv is narrower than its heads");
  TORCH_CHECK(keys.stride(2) == 1 && values.stride(2) == 1 && keys.strides() == values.strides(), "olm_rope_kv: pool layout");
  TORCH_CHECK(cos.is_contiguous() && sin.is_contiguous() && cos.numel() == t * d, "olm_rope_kv: cos, sin must be [T, D]");
  TORCH_CHECK(cos.scalar_type() == qkv.scalar_type() && keys.scalar_type() == qkv.scalar_type(), "olm_rope_kv: dtypes differ");
  c10::cuda::CUDAGuard guard(qkv.device());
  auto q = at::empty({t, q_heads, d}, qkv.options());
  auto s = slots.contiguous();
  if (t == 0) return q;
  const int threads = (int)std::min<int64_t>(256, (d + 31) / 32 * 32);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, qkv.scalar_type(), "olm_rope_kv", [&] {
    rope_kv_kernel<scalar_t><<<dim3(t, q_heads + 2 * kv_heads), threads, 0, at::cuda::getCurrentCUDAStream()>>>(
        qkv.data_ptr<scalar_t>(), qkv.stride(0), cos.data_ptr<scalar_t>(), sin.data_ptr<scalar_t>(), q.data_ptr<scalar_t>(),
        keys.data_ptr<scalar_t>(), values.data_ptr<scalar_t>(), keys.stride(0), keys.stride(1), s.data_ptr<int64_t>(),
        (int)q_heads, (int)kv_heads, (int)d);
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return q;
}

// ---------------------------------------------------------------------------------------------------------------
// SwiGLU's product: gu [T, 2F] (gate, then up) -> silu(gate)·up [T, F], rounded as torch.silu then the product are.
template <typename T>
__global__ void silu_mul_kernel(const T* __restrict__ gu, int64_t row, T* __restrict__ out, int64_t width, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t t = i / width, j = i % width;
    const float g = f(gu[t * row + j]);
    const float silu = r<T>(g / (1.0f + ::expf(-g)));
    out[i] = static_cast<T>(__fmul_rn(silu, f(gu[t * row + width + j])));
  }
}

at::Tensor silu_mul(const at::Tensor& gu) {
  TORCH_CHECK(gu.is_cuda() && gu.dim() == 2 && gu.stride(1) == 1 && gu.size(1) % 2 == 0, "olm_silu_mul: gu must be [T, 2F]");
  c10::cuda::CUDAGuard guard(gu.device());
  const int64_t f = gu.size(1) / 2;
  auto out = at::empty({gu.size(0), f}, gu.options());
  const int64_t n = out.numel();
  if (n == 0) return out;
  const int blocks = (int)std::min<int64_t>((n + 255) / 256, 8 * sms(gu.get_device()));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, gu.scalar_type(), "olm_silu_mul", [&] {
    silu_mul_kernel<scalar_t><<<blocks, 256, 0, at::cuda::getCurrentCUDAStream()>>>(
        gu.data_ptr<scalar_t>(), gu.stride(0), out.data_ptr<scalar_t>(), f, n);
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Decode attention over the paged pool (flash-decoding): each decode row's query heads against the keys its gather
// row names, visible where its bias row is not -inf. A block takes one row, one KV head (its G query heads share the
// keys it reads) and one split of the keys. A key's D elements are read by D/8 lanes with 16-byte loads, so a warp
// reads several keys at once, and every load of the warp is issued before any math (latency is the cost at these
// sizes). The warps' partial softmax states merge in shared memory; with several splits a second kernel merges theirs.
// q [B, Hq, D] (any strides, D contiguous), keys and values [KV, slots, D], gather [B, L] int64, bias [B, KV, G, L]
// (its [b, 0, 0, :] row is read) -> [B, Hq, D]. D is 8, 16, 32, 64 or 128.
constexpr int kMaxG = 8;    // query heads a KV head serves (and G·D at most kMaxG·kMaxD: 4 at D = 256)
constexpr int kMaxD = 128;
constexpr int kWarps = 8;   // a block's warps
constexpr int kRounds = 4;  // warp-wide loads of keys in flight together

__device__ __forceinline__ float group_sum(float v, int lanes) {  // over aligned groups of `lanes` lanes
  for (int o = lanes / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
  return v;
}

// LPK: lanes a key takes (D / 8).
template <typename T, int LPK>
__global__ void paged_decode_kernel(const T* __restrict__ q, int64_t q_row, int64_t q_head, const T* __restrict__ keys,
                                    const T* __restrict__ values, int64_t kv_head_stride, int64_t kv_slot_stride,
                                    const int64_t* __restrict__ gather, const T* __restrict__ bias, int64_t bias_row,
                                    int l, int g, int per_split, float scale, float softcap, float* __restrict__ part_o,
                                    float* __restrict__ part_ml, T* __restrict__ out, int splits) {
  constexpr int KPI = kWarp / LPK;  // keys a warp-wide load covers
  constexpr int D = 8 * LPK;
  const int b = blockIdx.x, kvh = blockIdx.y, split = blockIdx.z;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int group = lane / LPK, sub = lane % LPK;  // this lane's key in a round, and its 8 elements of it
  const int hq = gridDim.y * g;
  const int first = split * per_split + warp * KPI * kRounds;
  float kr[kRounds][8], vr[kRounds][8], visible[kRounds];
#pragma unroll
  for (int i = 0; i < kRounds; i++) {
    const int j = first + i * KPI + group;
    visible[i] = j < l ? f(bias[b * bias_row + j]) : -INFINITY;
    if (j < l) {
      const int64_t at = kvh * kv_head_stride + gather[(int64_t)b * l + j] * kv_slot_stride + sub * 8;
      Vec<T>::load(keys + at, kr[i]);
      Vec<T>::load(values + at, vr[i]);
    } else {
#pragma unroll
      for (int e = 0; e < 8; e++) kr[i][e] = vr[i][e] = 0.f;
    }
  }
  __shared__ float sm_acc[kWarps][kMaxG * kMaxD];  // [warp][head·D + element]
  __shared__ float sm_m[kWarps][kMaxG], sm_s[kWarps][kMaxG];
  for (int h = 0; h < g; h++) {
    float qv[8];
    Vec<T>::load(q + b * q_row + (int64_t)(kvh * g + h) * q_head + sub * 8, qv);
    float score[kRounds], mx = -INFINITY;
#pragma unroll
    for (int i = 0; i < kRounds; i++) {
      float dot = 0.f;
#pragma unroll
      for (int e = 0; e < 8; e++) dot += qv[e] * kr[i][e];
      dot = group_sum(dot, LPK) * scale;
      if (softcap > 0.f) dot = softcap * tanhf(dot / softcap);  // Gemma 2: cap·tanh(s / cap) before the mask
      score[i] = visible[i] == -INFINITY ? -INFINITY : dot + visible[i];
      mx = fmaxf(mx, score[i]);
    }
    for (int o = kWarp / 2; o >= LPK; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, o));
    float sum = 0.f, acc[8] = {};
    if (mx != -INFINITY) {
#pragma unroll
      for (int i = 0; i < kRounds; i++) {
        const float p = expf(score[i] - mx);
        sum += p;
#pragma unroll
        for (int e = 0; e < 8; e++) acc[e] += p * vr[i][e];
      }
    }
    for (int o = kWarp / 2; o >= LPK; o >>= 1) {  // across the keys of the warp
      sum += __shfl_xor_sync(0xffffffff, sum, o);
#pragma unroll
      for (int e = 0; e < 8; e++) acc[e] += __shfl_xor_sync(0xffffffff, acc[e], o);
    }
    if (lane < LPK)
#pragma unroll
      for (int e = 0; e < 8; e++) sm_acc[warp][h * D + sub * 8 + e] = acc[e];
    if (lane == 0) { sm_m[warp][h] = mx; sm_s[warp][h] = sum; }
  }
  __syncthreads();
  // The warps' states merge; each thread takes (head, element) pairs.
  for (int i = threadIdx.x; i < g * D; i += blockDim.x) {
    const int h = i / D, e = i % D;
    float mx = -INFINITY;
    for (int w = 0; w < kWarps; w++) mx = fmaxf(mx, sm_m[w][h]);
    float o = 0.f, sum = 0.f;
    if (mx != -INFINITY)
      for (int w = 0; w < kWarps; w++) {
        const float c = expf(sm_m[w][h] - mx);
        o += sm_acc[w][h * D + e] * c;
        sum += sm_s[w][h] * c;
      }
    const int head = kvh * g + h;
    if (splits == 1) {
      out[((int64_t)b * hq + head) * D + e] = static_cast<T>(sum > 0.f ? o / sum : 0.f);
    } else {
      const int64_t at = ((int64_t)b * hq + head) * splits + split;
      part_o[at * D + e] = o;
      if (e == 0) { part_ml[2 * at] = mx; part_ml[2 * at + 1] = sum; }
    }
  }
}

template <typename T>
__global__ void paged_decode_merge(const float* __restrict__ part_o, const float* __restrict__ part_ml, T* __restrict__ out,
                                   int splits, int d) {
  const int64_t row = blockIdx.x;  // b·Hq + head
  for (int e = threadIdx.x; e < d; e += blockDim.x) {
    float mx = -INFINITY;
    for (int sp = 0; sp < splits; sp++) mx = fmaxf(mx, part_ml[2 * (row * splits + sp)]);
    float o = 0.f, sum = 0.f;
    if (mx != -INFINITY)
      for (int sp = 0; sp < splits; sp++) {
        const int64_t at = row * splits + sp;
        const float c = expf(part_ml[2 * at] - mx);
        o += part_o[at * d + e] * c;
        sum += part_ml[2 * at + 1] * c;
      }
    out[row * d + e] = static_cast<T>(sum > 0.f ? o / sum : 0.f);
  }
}

template <typename T, int LPK>
void launch_paged_decode(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& gather,
                         const at::Tensor& bias, float softcap, at::Tensor& out) {
  const int64_t b = q.size(0), hq = q.size(1), d = q.size(2), kvh = keys.size(0), l = gather.size(1);
  // Splits of a fixed number of keys, whatever the batch: a row's sums then run in the same order alone or batched
  // (the same tokens), and a padded length only adds keys and splits that see nothing (exact zeros in the merges).
  const int per_split = kWarps * (kWarp / LPK) * kRounds;
  const int splits = (int)std::max<int64_t>(1, (l + per_split - 1) / per_split);
  at::Tensor part_o, part_ml;
  if (splits > 1) {
    part_o = at::empty({b * hq * splits * d}, q.options().dtype(at::kFloat));
    part_ml = at::empty({b * hq * splits * 2}, q.options().dtype(at::kFloat));
  }
  auto stream = at::cuda::getCurrentCUDAStream();
  paged_decode_kernel<T, LPK><<<dim3(b, kvh, splits), kWarps * kWarp, 0, stream>>>(
      q.data_ptr<T>(), q.stride(0), q.stride(1), keys.data_ptr<T>(), values.data_ptr<T>(), keys.stride(0),
      keys.stride(1), gather.data_ptr<int64_t>(), bias.data_ptr<T>(), bias.stride(0), (int)l, (int)(hq / kvh),
      per_split, 1.0f / std::sqrt((float)d), softcap, splits > 1 ? part_o.data_ptr<float>() : nullptr,
      splits > 1 ? part_ml.data_ptr<float>() : nullptr, out.data_ptr<T>(), splits);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  if (splits > 1) {
    paged_decode_merge<T><<<b * hq, (int)std::min<int64_t>(256, (d + 31) / 32 * 32), 0, stream>>>(
        part_o.data_ptr<float>(), part_ml.data_ptr<float>(), out.data_ptr<T>(), splits, (int)d);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
}

bool aligned16(const at::Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0; }

at::Tensor paged_decode(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& gather,
                        const at::Tensor& bias, double softcap) {
  TORCH_CHECK(q.is_cuda() && q.dim() == 3 && q.stride(2) == 1, "olm_paged_decode: q must be [B, Hq, D], D contiguous");
  TORCH_CHECK(keys.dim() == 3 && keys.stride(2) == 1 && keys.strides() == values.strides(), "olm_paged_decode: pool layout");
  const int64_t b = q.size(0), hq = q.size(1), d = q.size(2), kvh = keys.size(0), l = gather.size(1);
  TORCH_CHECK(hq % kvh == 0 && hq / kvh <= kMaxG && (hq / kvh) * d <= kMaxG * kMaxD && keys.size(2) == d &&
              (d == 8 || d == 16 || d == 32 || d == 64 || d == 128 || d == 256),
              "olm_paged_decode: unsupported heads ", hq, "/", kvh, " of ", d);
  const int64_t vec = 16 / q.element_size();  // elements of a 16-byte load
  TORCH_CHECK(aligned16(q) && aligned16(keys) && aligned16(values) && q.stride(0) % vec == 0 && q.stride(1) % vec == 0 &&
              keys.stride(0) % vec == 0 && keys.stride(1) % vec == 0, "olm_paged_decode: rows must be 16-byte aligned");
  TORCH_CHECK(gather.is_contiguous() && gather.size(0) == b, "olm_paged_decode: gather must be [B, L]");
  TORCH_CHECK(bias.dim() == 4 && bias.size(0) == b && bias.size(3) == l && bias.stride(3) == 1, "olm_paged_decode: bias must be [B, KV, G, L]");
  TORCH_CHECK(q.scalar_type() == keys.scalar_type() && bias.scalar_type() == q.scalar_type() && q.element_size() == 2,
              "olm_paged_decode: 16-bit q, keys and bias of one dtype");
  c10::cuda::CUDAGuard guard(q.device());
  auto out = at::empty({b, hq, d}, q.options());
  if (b == 0) return out;
  AT_DISPATCH_REDUCED_FLOATING_TYPES(q.scalar_type(), "olm_paged_decode", [&] {
    const float cap = (float)softcap;
    if (d == 8) launch_paged_decode<scalar_t, 1>(q, keys, values, gather, bias, cap, out);
    else if (d == 16) launch_paged_decode<scalar_t, 2>(q, keys, values, gather, bias, cap, out);
    else if (d == 32) launch_paged_decode<scalar_t, 4>(q, keys, values, gather, bias, cap, out);
    else if (d == 64) launch_paged_decode<scalar_t, 8>(q, keys, values, gather, bias, cap, out);
    else if (d == 128) launch_paged_decode<scalar_t, 16>(q, keys, values, gather, bias, cap, out);
    else launch_paged_decode<scalar_t, 32>(q, keys, values, gather, bias, cap, out);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Contextual sparsity (Deja Vu) at decode: products with the chosen heads and neurons of a layer, reading only their
// parts of the weights. Rows are named by groups of `group` consecutive rows (a head's D rows of q; a neuron is a group
// of 1); a row's choices may be a broadcast view (stride 0 between rows: one fixed choice for the batch).
//  - rows_dot:      out[n, r] = W[r] · RMSNorm(x[n]) (+ bias[r]) for the chosen rows r and the last `tail` rows of W
//                   (the chosen heads' queries and every key and value row of qkv, in one pass)
//  - heads_linear:  y[n] = res[n] (+ bias) + W[:, cols] · a[n, cols] over the columns of the chosen heads (o_proj as
//                   loaded: a head is D contiguous columns of each row, so each row is read in a few runs of D)
//  - neurons:       y[n] = res[n] (+ bias) + Σ_j silu(g_j)·u_j · down_j over the chosen neurons j of wn [F, 3H] (gate
//                   row | up row | down column side by side: one contiguous read a neuron), g_j, u_j of RMSNorm(x[n]).
// rows_dot, heads_linear and the neurons' gate and up are the GEMV's shape (a block a few rows, its threads across the
// chosen K with 16-byte loads, the RMSNorm folded into the loads the same way); the neurons' down is rows_sum_kernel's.
// Every sum runs in an order fixed by a row's own choices, so a row gives the same bits alone or in a batch.
constexpr int kThreads = 256;

// N elements of T at p as float32: one 16-byte load (V), or one element (N = 1).
template <typename T, bool V>
struct Load {
  static constexpr int N = V ? Vec<T>::N : 1;
  __device__ __forceinline__ static void at(const T* p, float* out) {
    if constexpr (V) Vec<T>::load(p, out);
    else out[0] = f(*p);
  }
};

// The chosen row j of a row's selection: group `groups[j / group]`, its (j % group)th row.
__device__ __forceinline__ int64_t chosen(const int64_t* __restrict__ groups, int group, int j) {
  return groups[j / group] * group + j % group;
}

// Dots of RMSNorm(x[n]) with chosen rows, R outputs a block: rows_dot's rows (PAIR false: picked rows, then the tail),
// or neurons (PAIR: a neuron's gate and up rows, its output silu(g)·u in float32).
template <typename T, bool V, bool PAIR, int R>
__global__ void picked_dots_kernel(const T* __restrict__ x, int64_t x_row, const T* __restrict__ w, int64_t w_row,
                                   const int64_t* __restrict__ groups, int64_t groups_row, int group, int picked,
                                   int64_t tail0, const T* __restrict__ norm, float eps, const T* __restrict__ bias,
                                   T* __restrict__ out, int64_t out_row, float* __restrict__ acts, int h, int m) {
  constexpr int N = Load<T, V>::N, L = PAIR ? 2 : 1, W = kThreads / kWarp;
  const int n = blockIdx.y, j0 = blockIdx.x * R, warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t* mine = groups + n * groups_row;
  const T* xn = x + n * x_row;
  int64_t rows[R];
#pragma unroll
  for (int r = 0; r < R; r++) {
    const int j = j0 + r;
    rows[r] = j >= m ? -1 : j < picked ? chosen(mine, group, j) : tail0 + (j - picked);
  }
  float acc[R][L] = {}, ss = 0.f;
#pragma unroll 2
  for (int c = threadIdx.x * N; c < h; c += kThreads * N) {
    float wv[R][L][N];
#pragma unroll
    for (int r = 0; r < R; r++)
#pragma unroll
      for (int l = 0; l < L; l++) {
        if (rows[r] >= 0) Load<T, V>::at(w + rows[r] * w_row + l * h + c, wv[r][l]);
        else for (int e = 0; e < N; e++) wv[r][l][e] = 0.f;
      }
    float xv[N];
    Load<T, V>::at(xn + c, xv);
    if (norm != nullptr) {
      float nv[N];
      Load<T, V>::at(norm + c, nv);
#pragma unroll
      for (int e = 0; e < N; e++) {
        ss += xv[e] * xv[e];
        xv[e] *= nv[e];
      }
    }
#pragma unroll
    for (int r = 0; r < R; r++)
#pragma unroll
      for (int l = 0; l < L; l++)
#pragma unroll
        for (int e = 0; e < N; e++) acc[r][l] += wv[r][l][e] * xv[e];
  }
  __shared__ float sm[W][R * L + 1];
#pragma unroll
  for (int r = 0; r < R; r++)
#pragma unroll
    for (int l = 0; l < L; l++) {
      const float v = warp_sum(acc[r][l]);
      if (lane == 0) sm[warp][r * L + l] = v;
    }
  ss = warp_sum(ss);
  if (lane == 0) sm[warp][R * L] = ss;
  __syncthreads();
  if (threadIdx.x >= R) return;
  const int r = threadIdx.x;
  int64_t row = -1;  // rows[r] without indexing rows at run time (which would put it in local memory)
#pragma unroll
  for (int i = 0; i < R; i++)
    if (i == r) row = rows[i];
  if (row < 0) return;
  float v[L] = {}, sq = 0.f;
  for (int i = 0; i < W; i++) {
#pragma unroll
    for (int l = 0; l < L; l++) v[l] += sm[i][r * L + l];
    sq += sm[i][R * L];
  }
  const float scale = norm != nullptr ? rsqrtf(sq / h + eps) : 1.f;
  if constexpr (PAIR) {
    const float g = v[0] * scale, u = v[1] * scale;
    acts[(int64_t)n * m + j0 + r] = g / (1.0f + ::expf(-g)) * u;
  } else {
    float o = v[0] * scale;
    if (bias != nullptr) o += f(bias[row]);
    out[n * out_row + row] = static_cast<T>(o);
  }
}

// y[n, c] = res[n, c] (+ bias[c]) + Σ over the chosen heads' columns col of W[c, col] · a[n, col]: a block takes 4
// rows c, its threads the chosen columns (a vector stays within a head: N divides D).
template <typename T, bool V>
__global__ void heads_linear_kernel(const T* __restrict__ a, int64_t a_row, const T* __restrict__ w, int64_t w_row,
                                    const int64_t* __restrict__ heads, int64_t heads_row, int kk, int d,
                                    const T* __restrict__ bias, const T* __restrict__ res, int64_t res_row,
                                    T* __restrict__ y, int rows) {
  constexpr int N = Load<T, V>::N, R = 4, W = kThreads / kWarp;
  const int n = blockIdx.y, c0 = blockIdx.x * R, warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t* mine = heads + n * heads_row;
  const T* an = a + n * a_row;
  float acc[R] = {};
#pragma unroll 2
  for (int j = threadIdx.x * N; j < kk; j += kThreads * N) {
    const int64_t col = mine[j / d] * d + j % d;
    float av[N], wv[R][N];
#pragma unroll
    for (int r = 0; r < R; r++) {
      if (c0 + r < rows) Load<T, V>::at(w + (int64_t)(c0 + r) * w_row + col, wv[r]);
      else for (int e = 0; e < N; e++) wv[r][e] = 0.f;
    }
    Load<T, V>::at(an + col, av);
#pragma unroll
    for (int r = 0; r < R; r++)
#pragma unroll
      for (int e = 0; e < N; e++) acc[r] += wv[r][e] * av[e];
  }
  __shared__ float sm[W][R];
#pragma unroll
  for (int r = 0; r < R; r++) {
    const float v = warp_sum(acc[r]);
    if (lane == 0) sm[warp][r] = v;
  }
  __syncthreads();
  const int c = c0 + threadIdx.x;
  if (threadIdx.x >= R || c >= rows) return;
  float v = 0.f;
  for (int i = 0; i < W; i++) v += sm[i][threadIdx.x];
  if (bias != nullptr) v += f(bias[c]);
  if (res != nullptr) v += f(res[n * res_row + c]);
  y[(int64_t)n * rows + c] = static_cast<T>(v);
}

// y[n] = res[n] (+ bias) + Σ_j a[n, j] · W[row_j] over a row's chosen rows (the neurons' down rows). Two kernels.
// rows_sum_kernel: the chosen rows are cut into chunks (how many depends on their number and the SMs, never on the
// batch) and H into spans of a load a thread; a block reads its chunk's rows over its span (runs of 4 KB a row with
// 16-bit vectors, as a dense GEMV streams), 8 rows in flight a thread, and writes its float32 partial.
// sum_chunks_kernel: the partials (a few MB, in L2) added up in chunk order with bias and residual, rounded once.
constexpr int kMaxChunk = 1024, kMinChunk = 32, kSumUnroll = 8;

template <typename T, bool V>
__global__ void rows_sum_kernel(const float* __restrict__ a, int64_t a_row, const T* __restrict__ w, int64_t w_row,
                                const int64_t* __restrict__ groups, int64_t groups_row, int group,
                                float* __restrict__ part, int h, int m, int per_chunk) {
  constexpr int N = Load<T, V>::N;
  __shared__ int64_t rows_s[kMaxChunk];
  __shared__ float a_s[kMaxChunk];
  const int chunk = blockIdx.x, n = blockIdx.z, chunks = gridDim.x;
  const int c = (blockIdx.y * kThreads + threadIdx.x) * N;
  const int64_t* mine = groups + n * groups_row;
  const float* an = a + n * a_row;
  const int j0 = chunk * per_chunk, count = min(m, j0 + per_chunk) - j0;
  for (int i = threadIdx.x; i < count; i += kThreads) {
    rows_s[i] = chosen(mine, group, j0 + i) * w_row;
    a_s[i] = an[j0 + i];
  }
  __syncthreads();
  if (c >= h) return;  // h is a multiple of N: a load is whole
  float acc[N] = {};
  for (int i0 = 0; i0 < count; i0 += kSumUnroll) {
    float v[kSumUnroll][N];
#pragma unroll
    for (int u = 0; u < kSumUnroll; u++) {
      if (i0 + u < count) Load<T, V>::at(w + rows_s[i0 + u] + c, v[u]);
      else for (int e = 0; e < N; e++) v[u][e] = 0.f;
    }
#pragma unroll
    for (int u = 0; u < kSumUnroll; u++) {
      const float s = i0 + u < count ? a_s[i0 + u] : 0.f;
#pragma unroll
      for (int e = 0; e < N; e++) acc[e] += s * v[u][e];
    }
  }
  float* out = part + ((int64_t)n * chunks + chunk) * h + c;
#pragma unroll
  for (int e = 0; e < N; e++) out[e] = acc[e];
}

// A block takes 32 columns; its warps split the chunks (many loads in flight, not a long chain a thread) and meet in a
// fixed order.
constexpr int kFinishWarps = 32;

template <typename T>
__global__ void sum_chunks_kernel(const float* __restrict__ part, int chunks, const T* __restrict__ bias,
                                  const T* __restrict__ res, int64_t res_row, T* __restrict__ y, int h) {
  __shared__ float sm[kFinishWarps][kWarp + 1];
  const int n = blockIdx.y, warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int c = blockIdx.x * kWarp + lane;
  float s = 0.f;
  if (c < h) {
#pragma unroll 4
    for (int b = warp; b < chunks; b += kFinishWarps) s += part[((int64_t)n * chunks + b) * h + c];
  }
  sm[warp][lane] = s;
  __syncthreads();
  if (warp == 0 && c < h) {
    float total = 0.f;
    for (int i = 0; i < kFinishWarps; i++) total += sm[i][lane];
    if (bias != nullptr) total += f(bias[c]);
    if (res != nullptr) total += f(res[n * res_row + c]);
    y[(int64_t)n * h + c] = static_cast<T>(total);
  }
}

bool given(const at::Tensor& t) { return t.defined() && t.numel() > 0; }

// Whether rows of width h of w (row stride w_row) start on 16-byte boundaries (the vector loads' alignment).
bool vectors(const at::Tensor& w, int64_t h, int64_t w_row) {
  const int64_t e = w.element_size();
  return reinterpret_cast<uintptr_t>(w.data_ptr()) % 16 == 0 && (h * e) % 16 == 0 && (w_row * e) % 16 == 0;
}

#define OLM_VECTORS(cond, ...)          \
  if (cond) {                           \
    constexpr bool V = true;            \
    __VA_ARGS__();                      \
  } else {                              \
    constexpr bool V = false;           \
    __VA_ARGS__();                      \
  }

// How many chunks rows_sum cuts m chosen rows into: about 2 blocks an SM at batch 1 over the spans of H (1 and 4 measured
// slower and the same on an H100: docs/BENCHMARKS.md), from kMinChunk to kMaxChunk rows a chunk.
int sum_chunks(int64_t m, int64_t spans, int device) {
  const int64_t want = (2 * sms(device) + spans - 1) / spans;
  const int64_t chunks = std::max(std::min(want, m / kMinChunk), (m + kMaxChunk - 1) / kMaxChunk);
  return (int)std::max<int64_t>(1, chunks);
}

template <typename T>
void launch_rows_sum(const float* a, int64_t a_row, const at::Tensor& w, int64_t w_off, int64_t w_row, const at::Tensor& groups,
                     int group, int64_t m, const at::Tensor& bias, const at::Tensor& res, at::Tensor& y) {
  const int64_t n = y.size(0), h = y.size(1);
  const bool vec = vectors(w, h, w_row) && (w_off * w.element_size()) % 16 == 0;
  const int64_t span = kThreads * (vec ? Vec<T>::N : 1), spans = (h + span - 1) / span;
  const int64_t want = sum_chunks(m, spans, w.get_device());
  const int64_t per_chunk = std::max<int64_t>(1, (m + want - 1) / want);
  const int64_t chunks = std::max<int64_t>(1, (m + per_chunk - 1) / per_chunk);
  auto part = at::empty({n, chunks, h}, y.options().dtype(at::kFloat));
  auto stream = at::cuda::getCurrentCUDAStream();
  OLM_VECTORS(vec, [&] {
    rows_sum_kernel<T, V><<<dim3(chunks, spans, n), kThreads, 0, stream>>>(
        a, a_row, w.data_ptr<T>() + w_off, w_row, groups.data_ptr<int64_t>(), groups.stride(0), group,
        part.data_ptr<float>(), (int)h, (int)m, (int)per_chunk);
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  sum_chunks_kernel<T><<<dim3((h + kWarp - 1) / kWarp, n), kFinishWarps * kWarp, 0, stream>>>(
      part.data_ptr<float>(), (int)chunks, given(bias) ? bias.data_ptr<T>() : nullptr,
      given(res) ? res.data_ptr<T>() : nullptr, given(res) ? res.stride(0) : 0, y.data_ptr<T>(), (int)h);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

void check_sparse(const at::Tensor& x, const at::Tensor& w, const at::Tensor& groups, const at::Tensor& norm,
                  const at::Tensor& bias, int64_t bias_n, const at::Tensor& res, int64_t h, const char* what) {
  TORCH_CHECK(x.is_cuda() && x.dim() == 2 && x.stride(1) == 1, what, ": x must be [n, k], rows contiguous");
  TORCH_CHECK(w.dim() == 2 && w.is_contiguous() && w.scalar_type() == x.scalar_type(), what, ": w must be contiguous, x's dtype");
  TORCH_CHECK(groups.is_cuda() && groups.dim() == 2 && groups.size(0) == x.size(0) && (groups.size(1) <= 1 || groups.stride(1) == 1) && groups.scalar_type() == at::kLong, what, ": choices must be int64 [n, k], rows contiguous");
  TORCH_CHECK(!given(norm) || (norm.numel() == x.size(1) && norm.is_contiguous() && norm.scalar_type() == x.scalar_type()), what, ": norm must be [H]");
  TORCH_CHECK(!given(bias) || (bias.numel() == bias_n && bias.is_contiguous() && bias.scalar_type() == x.scalar_type()), what, ": bias must be [", bias_n, "]");
  TORCH_CHECK(!given(res) || (res.dim() == 2 && res.size(0) == x.size(0) && res.size(1) == h && res.stride(1) == 1 && res.scalar_type() == x.scalar_type()), what, ": res must be [n, H]");
}

// Vector loads of x, its norm and rows of w (row stride w_row) where all are 16-byte aligned.
bool dot_vectors(const at::Tensor& x, const at::Tensor& w, int64_t w_row, const at::Tensor& norm) {
  const int64_t e = x.element_size();
  return vectors(w, x.size(1), w_row) && reinterpret_cast<uintptr_t>(x.data_ptr()) % 16 == 0 && (x.stride(0) * e) % 16 == 0 &&
         (!given(norm) || reinterpret_cast<uintptr_t>(norm.data_ptr()) % 16 == 0);
}

// tail: the last `tail` rows of w are computed for every row besides its chosen groups (the keys and values of qkv).
at::Tensor& rows_dot(const at::Tensor& x, const at::Tensor& w, const at::Tensor& groups, int64_t group, int64_t tail,
                     const at::Tensor& norm, double eps, const at::Tensor& bias, at::Tensor& out) {
  check_sparse(x, w, groups, norm, bias, w.size(0), at::Tensor(), 0, "olm_rows_dot");
  TORCH_CHECK(w.size(1) == x.size(1) && out.dim() == 2 && out.size(0) == x.size(0) && out.size(1) >= w.size(0) &&
              out.stride(1) == 1 && out.scalar_type() == x.scalar_type(), "olm_rows_dot: out must be [n, rows of w]");
  TORCH_CHECK(tail >= 0 && tail <= w.size(0), "olm_rows_dot: tail must be at most w's rows");
  c10::cuda::CUDAGuard guard(x.device());
  const int64_t n = x.size(0), h = x.size(1), picked = groups.size(1) * group, m = picked + tail;
  if (n == 0 || m == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "olm_rows_dot", [&] {
    OLM_VECTORS(dot_vectors(x, w, h, norm), [&] {
      picked_dots_kernel<scalar_t, V, false, 4><<<dim3((m + 3) / 4, n), kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
          x.data_ptr<scalar_t>(), x.stride(0), w.data_ptr<scalar_t>(), h, groups.data_ptr<int64_t>(), groups.stride(0),
          (int)group, (int)picked, w.size(0) - tail, given(norm) ? norm.data_ptr<scalar_t>() : nullptr, (float)eps,
          given(bias) ? bias.data_ptr<scalar_t>() : nullptr, out.data_ptr<scalar_t>(), out.stride(0), nullptr, (int)h, (int)m);
    });
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}

// a [n, Hq·D] (the attention output), w [H, Hq·D] (o_proj), heads [n, k]: y [n, H].
at::Tensor heads_linear(const at::Tensor& a, const at::Tensor& w, const at::Tensor& heads, int64_t d,
                        const at::Tensor& bias, const at::Tensor& res) {
  const int64_t rows = w.size(0);
  check_sparse(a, w, heads, at::Tensor(), bias, rows, res, rows, "olm_heads_linear");
  TORCH_CHECK(w.size(1) == a.size(1) && d > 0 && a.size(1) % d == 0, "olm_heads_linear: a must be [n, heads·D], w [H, heads·D]");
  c10::cuda::CUDAGuard guard(a.device());
  const int64_t n = a.size(0), kk = heads.size(1) * d;
  auto y = at::empty({n, rows}, a.options());
  if (n == 0) return y;
  const bool vec = d % Vec<at::BFloat16>::N == 0 && a.element_size() == 2 && vectors(w, a.size(1), a.size(1)) &&
                   reinterpret_cast<uintptr_t>(a.data_ptr()) % 16 == 0 && (a.stride(0) * 2) % 16 == 0;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, a.scalar_type(), "olm_heads_linear", [&] {
    OLM_VECTORS(vec, [&] {
      heads_linear_kernel<scalar_t, V><<<dim3((rows + 3) / 4, n), kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
          a.data_ptr<scalar_t>(), a.stride(0), w.data_ptr<scalar_t>(), a.size(1), heads.data_ptr<int64_t>(),
          heads.stride(0), (int)kk, (int)d, given(bias) ? bias.data_ptr<scalar_t>() : nullptr,
          given(res) ? res.data_ptr<scalar_t>() : nullptr, given(res) ? res.stride(0) : 0, y.data_ptr<scalar_t>(),
          (int)rows);
    });
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return y;
}

at::Tensor neurons(const at::Tensor& x, const at::Tensor& wn, const at::Tensor& idx, const at::Tensor& norm,
                   double eps, const at::Tensor& bias, const at::Tensor& res) {
  const int64_t h = x.size(1);
  check_sparse(x, wn, idx, norm, bias, h, res, h, "olm_neurons");
  TORCH_CHECK(wn.size(1) == 3 * h, "olm_neurons: wn must be [F, 3H]");
  c10::cuda::CUDAGuard guard(x.device());
  const int64_t n = x.size(0), k = idx.size(1);
  auto y = at::empty({n, h}, x.options());
  if (n == 0) return y;
  auto acts = at::empty({n, k}, x.options().dtype(at::kFloat));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "olm_neurons", [&] {
    if (k > 0) {
      OLM_VECTORS(dot_vectors(x, wn, 3 * h, norm), [&] {
        picked_dots_kernel<scalar_t, V, true, 4><<<dim3((k + 3) / 4, n), kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
            x.data_ptr<scalar_t>(), x.stride(0), wn.data_ptr<scalar_t>(), 3 * h, idx.data_ptr<int64_t>(), idx.stride(0), 1,
            (int)k, 0, given(norm) ? norm.data_ptr<scalar_t>() : nullptr, (float)eps, nullptr, nullptr, 0,
            acts.data_ptr<float>(), (int)h, (int)k);
      });
      C10_CUDA_KERNEL_LAUNCH_CHECK();
    }
    launch_rows_sum<scalar_t>(acts.data_ptr<float>(), k, wn, 2 * h, 3 * h, idx, 1, k, bias, res, y);
  });
  return y;
}

// ---------------------------------------------------------------------------------------------------------------
// A few decode rows through a linear layer (GEMV): y[m] = prologue(x[m]) · Wᵀ (+ bias) (+ res[m]), m < M <= 8, with
// the RMSNorm before the matmul folded into its loads (prologue 1: x·rsqrt(mean x² + eps)·norm; the threads that read
// a row of W read all of x, so they sum its squares too, and no pass runs before) and the residual add into its store,
// so a decoder layer's matmuls are its only big kernels. A block takes kGemvRows rows of W; its threads split K and
// read with 16-byte loads (short chains of loads a thread, many in flight), then sum across the block. float32 sums,
// one rounding at the store. The same order of sums for a row of x whatever the other rows: alone or batched, the same.
constexpr int kGemvThreads = 256;
constexpr int kGemvRows = 4;

template <typename T, int MAXM, bool NORM, bool RES>
__global__ void gemv_kernel(const T* __restrict__ w, const T* __restrict__ x, int64_t x_row, const T* __restrict__ norm,
                            float eps, const T* __restrict__ bias, const T* __restrict__ res, int64_t res_row,
                            T* __restrict__ y, int m, int n, int k) {
  constexpr int N = Vec<T>::N;
  constexpr int W = kGemvThreads / kWarp;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int row0 = blockIdx.x * kGemvRows;
  float acc[kGemvRows][MAXM] = {}, ss[MAXM] = {};
#pragma unroll 2
  for (int c = threadIdx.x * N; c < k; c += kGemvThreads * N) {
    float wv[kGemvRows][N];
#pragma unroll
    for (int rr = 0; rr < kGemvRows; rr++) {
      if (row0 + rr < n) {
        Vec<T>::load(w + (int64_t)(row0 + rr) * k + c, wv[rr]);
      } else {
        for (int e = 0; e < N; e++) wv[rr][e] = 0.f;
      }
    }
    float nv[N];
    if constexpr (NORM) Vec<T>::load(norm + c, nv);
#pragma unroll
    for (int mi = 0; mi < MAXM; mi++) {
      if (mi < m) {
        float xv[N];
        Vec<T>::load(x + mi * x_row + c, xv);
        if constexpr (NORM) {
#pragma unroll
          for (int e = 0; e < N; e++) {
            ss[mi] += xv[e] * xv[e];
            xv[e] *= nv[e];
          }
        }
#pragma unroll
        for (int rr = 0; rr < kGemvRows; rr++)
#pragma unroll
          for (int e = 0; e < N; e++) acc[rr][mi] += wv[rr][e] * xv[e];
      }
    }
  }
  __shared__ float sm[W][kGemvRows + 1][MAXM];
#pragma unroll
  for (int mi = 0; mi < MAXM; mi++) {
#pragma unroll
    for (int rr = 0; rr < kGemvRows; rr++) {
      const float v = warp_sum(acc[rr][mi]);
      if (lane == 0) sm[warp][rr][mi] = v;
    }
    if constexpr (NORM) {
      const float v = warp_sum(ss[mi]);
      if (lane == 0) sm[warp][kGemvRows][mi] = v;
    }
  }
  __syncthreads();
  if (threadIdx.x < kGemvRows * m) {
    const int rr = threadIdx.x % kGemvRows, mi = threadIdx.x / kGemvRows, row = row0 + rr;
    if (row < n) {
      float v = 0.f, sq = 0.f;
      for (int i = 0; i < W; i++) {
        v += sm[i][rr][mi];
        if constexpr (NORM) sq += sm[i][kGemvRows][mi];
      }
      if constexpr (NORM) v *= rsqrtf(sq / k + eps);
      if (bias != nullptr) v += f(bias[row]);
      if constexpr (RES) v += f(res[mi * res_row + row]);
      y[(int64_t)mi * n + row] = static_cast<T>(v);
    }
  }
}

template <typename T, int MAXM, bool NORM>
void launch_gemv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& norm, double eps, const at::Tensor& bias,
                 const at::Tensor& res, at::Tensor& y) {
  const int64_t m = x.size(0), n = w.size(0), k = w.size(1);
  const int blocks = (int)((n + kGemvRows - 1) / kGemvRows);
  const T* b = bias.numel() > 0 ? bias.data_ptr<T>() : nullptr;
  const T* nw = NORM ? norm.data_ptr<T>() : nullptr;
  auto stream = at::cuda::getCurrentCUDAStream();
  if (res.numel() > 0)
    gemv_kernel<T, MAXM, NORM, true><<<blocks, kGemvThreads, 0, stream>>>(
        w.data_ptr<T>(), x.data_ptr<T>(), x.stride(0), nw, (float)eps, b, res.data_ptr<T>(), res.stride(0),
        y.data_ptr<T>(), (int)m, (int)n, (int)k);
  else
    gemv_kernel<T, MAXM, NORM, false><<<blocks, kGemvThreads, 0, stream>>>(
        w.data_ptr<T>(), x.data_ptr<T>(), x.stride(0), nw, (float)eps, b, nullptr, 0, y.data_ptr<T>(), (int)m, (int)n,
        (int)k);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

template <typename T, int MAXM>
void gemv_rows(const at::Tensor& x, const at::Tensor& w, const at::Tensor& norm, double eps, const at::Tensor& bias,
               const at::Tensor& res, at::Tensor& y) {
  if (norm.numel() > 0) launch_gemv<T, MAXM, true>(x, w, norm, eps, bias, res, y);
  else launch_gemv<T, MAXM, false>(x, w, norm, eps, bias, res, y);
}

// norm: the RMSNorm weight [K], or no elements for none; bias [N] or none; res [M, N] or none.
at::Tensor gemv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& norm, double eps, const at::Tensor& bias,
                const at::Tensor& res) {
  TORCH_CHECK(x.is_cuda() && x.dim() == 2 && x.stride(1) == 1 && x.size(0) <= 8, "olm_gemv: x must be [M <= 8, K], rows contiguous");
  TORCH_CHECK(w.dim() == 2 && w.is_contiguous() && w.scalar_type() == x.scalar_type() && x.element_size() == 2, "olm_gemv: w must be contiguous 16-bit, x's dtype");
  const int64_t m = x.size(0), n = w.size(0), k = w.size(1);
  TORCH_CHECK(x.size(1) == k, "olm_gemv: x has ", x.size(1), " columns for w's ", k);
  TORCH_CHECK(k % 8 == 0 && aligned16(x) && aligned16(w) && x.stride(0) % 8 == 0, "olm_gemv: rows must be 16-byte aligned");
  TORCH_CHECK(norm.numel() == 0 || (norm.numel() == k && norm.is_contiguous() && aligned16(norm) && norm.scalar_type() == x.scalar_type()), "olm_gemv: norm must be [K]");
  TORCH_CHECK(bias.numel() == 0 || (bias.numel() == n && bias.is_contiguous() && bias.scalar_type() == x.scalar_type()), "olm_gemv: bias must be [N]");
  TORCH_CHECK(res.numel() == 0 || (res.dim() == 2 && res.size(0) == m && res.size(1) == n && res.stride(1) == 1 && res.scalar_type() == x.scalar_type()), "olm_gemv: res must be [M, N]");
  c10::cuda::CUDAGuard guard(x.device());
  auto y = at::empty({m, n}, x.options());
  if (m == 0 || n == 0) return y;
  AT_DISPATCH_REDUCED_FLOATING_TYPES(x.scalar_type(), "olm_gemv", [&] {
    if (m == 1) gemv_rows<scalar_t, 1>(x, w, norm, eps, bias, res, y);
    else if (m == 2) gemv_rows<scalar_t, 2>(x, w, norm, eps, bias, res, y);
    else if (m <= 4) gemv_rows<scalar_t, 4>(x, w, norm, eps, bias, res, y);
    else gemv_rows<scalar_t, 8>(x, w, norm, eps, bias, res, y);
  });
  return y;
}

}  // namespace

// In aten's namespace for the reason olm_cuda.cpp gives (a script compiled from C++ resolves torch.NAME to aten::NAME).
TORCH_LIBRARY_FRAGMENT(aten, m) {
  m.def("olm_rope_kv(Tensor qkv, Tensor cos, Tensor sin, Tensor(a!) keys, Tensor(b!) values, Tensor slots, int q_heads, int kv_heads) -> Tensor");
  m.def("olm_silu_mul(Tensor gu) -> Tensor");
  m.def("olm_paged_decode(Tensor q, Tensor keys, Tensor values, Tensor gather, Tensor bias, float softcap) -> Tensor");
  m.def("olm_rows_dot(Tensor x, Tensor w, Tensor groups, int group, int tail, Tensor norm, float eps, Tensor bias, Tensor(a!) out) -> Tensor(a!)");
  m.def("olm_heads_linear(Tensor a, Tensor w, Tensor heads, int d, Tensor bias, Tensor res) -> Tensor");
  m.def("olm_neurons(Tensor x, Tensor wn, Tensor idx, Tensor norm, float eps, Tensor bias, Tensor res) -> Tensor");
  m.def("olm_gemv(Tensor x, Tensor w, Tensor norm, float eps, Tensor bias, Tensor res) -> Tensor");
}
TORCH_LIBRARY_IMPL(aten, CUDA, m) {
  m.impl("olm_rope_kv", &rope_kv);
  m.impl("olm_silu_mul", &silu_mul);
  m.impl("olm_paged_decode", &paged_decode);
  m.impl("olm_rows_dot", &rows_dot);
  m.impl("olm_heads_linear", &heads_linear);
  m.impl("olm_neurons", &neurons);
  m.impl("olm_gemv", &gemv);
}
