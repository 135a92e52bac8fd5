#!/usr/bin/env bash
# Builds libolm_cuda.so (CUDA graphs, NCCL all-reduce) against the libtorch of the Python environment at hand, so it
# matches the libtorch TorchSharp loads there (on the GPU machine: PyTorch's, which .gpu/run.sh puts on the path).
# Usage: bash Native/build.sh [OUT_DIR]   (default Native/build). Needs g++, CUDA headers, PyTorch with CUDA, NCCL.
# Point a silo or olm at the result with OLM_NATIVE=OUT_DIR/libolm_cuda.so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build}
mkdir -p "$out"
read -r torch abi < <(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__), int(torch._C._GLIBCXX_USE_CXX11_ABI))')
site=$(dirname "$torch")
cuda_inc=${CUDA_HOME:-/usr/local/cuda}/include
# CUDA runtime and NCCL as PyTorch's wheels ship them (nvidia/cu13 or nvidia/cuda_runtime, nvidia/nccl).
first() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return; }; done; }   # the first of the candidates that exists
cudart=$(first "$site"/nvidia/cu13/lib/libcudart.so.* "$site"/nvidia/cuda_runtime/lib/libcudart.so.* "${CUDA_HOME:-/usr/local/cuda}"/lib64/libcudart.so)
nccl_lib=$(first "$site"/nvidia/nccl/lib/libnccl.so.* "$site"/nvidia/cu13/lib/libnccl.so.*)
nccl_inc=$(dirname "$(first "$site"/nvidia/nccl/include/nccl.h "$site"/nvidia/cu13/include/nccl.h /usr/include/nccl.h)")
[ -n "$cudart" ] && [ -n "$nccl_lib" ] || { echo "build.sh: no CUDA runtime or NCCL under $site/nvidia" >&2; ls "$site"/nvidia >&2; exit 1; }
echo "torch $torch (cxx11 abi $abi); cudart $cudart; nccl $nccl_lib ($nccl_inc)"
g++ -std=c++17 -O2 -shared -fPIC -D_GLIBCXX_USE_CXX11_ABI="$abi" "$here/olm_cuda.cpp" -o "$out/libolm_cuda.so" \
  -I"$torch/include" -I"$torch/include/torch/csrc/api/include" -I"$cuda_inc" -I"$nccl_inc" \
  -L"$torch/lib" -Wl,--no-as-needed -ltorch -ltorch_cpu -ltorch_cuda -lc10 -lc10_cuda "$cudart" "$nccl_lib" \
  -Wl,-rpath,"$torch/lib:$(dirname "$cudart"):$(dirname "$nccl_lib")"
echo "built $out/libolm_cuda.so"
