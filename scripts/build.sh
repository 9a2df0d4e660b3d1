#!/usr/bin/env bash
# Configures (once) and builds softmax-mlir in $BUILD_DIR (default: build/)
# with clang-22, lld and ninja against Debian's LLVM/MLIR 22. Arguments are
# extra CMake options for that first configuration (scripts/sanitize.sh
# passes its own).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
jobs="${JOBS:-2}"

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_DIR=/usr/lib/llvm-22/lib/cmake/llvm "$@" >/dev/null
fi
ninja -C "$build" -j "$jobs" >/dev/null
