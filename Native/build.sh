#!/usr/bin/env bash
# Builds libolm_cuda.so (CUDA graphs, NCCL all-reduce and, where nvcc is found, the decode kernels of olm_kernels.cu) against the libtorch of the Python environment at hand, so it
# matches the libtorch TorchSharp loads there (on the GPU machine: PyTorch's, which .gpu/run.sh puts on the path).
# Usage: bash Native/build.sh [OUT_DIR]   (default Native/build). Needs g++, CUDA headers, PyTorch with CUDA, NCCL;
# nvcc for the kernels (OLM_CUDA_ARCH: the GPU's compute capability, default 90 for H100/H200).
# Point a silo or olm at the result with OLM_NATIVE=OUT_DIR/libolm_cuda.so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build}
mkdir -p "$out"
read -r torch abi < <(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__), int(torch._C._GLIBCXX_USE_CXX11_ABI))')
site=$(dirname "$torch")
cuda_inc=${CUDA_HOME:-/usr/local/cuda}/include
# CUDA runtime and NCCL as PyTorch's wheels ship them (nvidia/cu13 or nvidia/cuda_runtime, nvidia/nccl).
first() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return; }; done; true; }   # the first of the candidates that exists
cudart=$(first "$site"/nvidia/cu13/lib/libcudart.so.* "$site"/nvidia/cuda_runtime/lib/libcudart.so.* "${CUDA_HOME:-/usr/local/cuda}"/lib64/libcudart.so)
nccl_lib=$(first "$site"/nvidia/nccl/lib/libnccl.so.* "$site"/nvidia/cu13/lib/libnccl.so.*)
nccl_inc=$(dirname "$(first "$site"/nvidia/nccl/include/nccl.h "$site"/nvidia/cu13/include/nccl.h /usr/include/nccl.h)")
[ -n "$cudart" ] && [ -n "$nccl_lib" ] || { echo "build.sh: no CUDA runtime or NCCL under $site/nvidia" >&2; ls "$site"/nvidia >&2; exit 1; }
echo "torch $torch (cxx11 abi $abi); cudart $cudart; nccl $nccl_lib ($nccl_inc)"
nvcc=$(command -v nvcc || first "${CUDA_HOME:-/usr/local/cuda}"/bin/nvcc "$site"/nvidia/cu13/bin/nvcc "$site"/nvidia/cuda_nvcc/bin/nvcc)
objects=() kernels=()
if [ -n "$nvcc" ]; then
  arch=${OLM_CUDA_ARCH:-90}
  echo "nvcc $nvcc (sm_$arch)"
  # PyTorch's extension flags: c10's Half and BFloat16 bring their own operators.
  "$nvcc" -std=c++17 -O3 -Xcompiler -fPIC -D_GLIBCXX_USE_CXX11_ABI="$abi" --expt-relaxed-constexpr \
    -D__CUDA_NO_HALF_OPERATORS__ -D__CUDA_NO_HALF_CONVERSIONS__ -D__CUDA_NO_BFLOAT16_CONVERSIONS__ -D__CUDA_NO_HALF2_OPERATORS__ \
    -gencode "arch=compute_$arch,code=[sm_$arch,compute_$arch]" \
    -I"$torch/include" -I"$torch/include/torch/csrc/api/include" -I"$cuda_inc" -c "$here/olm_kernels.cu" -o "$out/olm_kernels.o"
  objects=("$out/olm_kernels.o") kernels=(-DOLM_KERNELS)
else
  echo "no nvcc: building without the decode kernels (graphs and NCCL only)"
fi
g++ -std=c++17 -O2 -shared -fPIC -D_GLIBCXX_USE_CXX11_ABI="$abi" "${kernels[@]}" "$here/olm_cuda.cpp" "${objects[@]}" -o "$out/libolm_cuda.so" \
  -I"$torch/include" -I"$torch/include/torch/csrc/api/include" -I"$cuda_inc" -I"$nccl_inc" \
  -L"$torch/lib" -Wl,--no-as-needed -ltorch -ltorch_cpu -ltorch_cuda -lc10 -lc10_cuda "$cudart" "$nccl_lib" \
  -Wl,-rpath,"$torch/lib:$(dirname "$cudart"):$(dirname "$nccl_lib")"
echo "built $out/libolm_cuda.so"
