#!/usr/bin/env bash
# CPU benchmark: builds softmax-mlir, compiles benchmarks/cpu/kernels.mlir
# for this machine, and times it against oneDNN, PyTorch, IREE and upstream
# MLIR's linalg.softmax lowering on the grid of ../shared/anchors/cpu (f32,
# last axis), interleaved in one process (bench.py). Writes
# docs/performance/cpu.md (table) and docs/performance/cpu.png (plot).
#
#   benchmarks/cpu/run.sh             full run (~10 min with the peers' setup)
#   QUICK=1 benchmarks/cpu/run.sh     smoke run (few repetitions)
#   REPS=45 benchmarks/cpu/run.sh     more repetitions (default 15 per shape,
#                                     7 for the largest), less noise
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/benchmarks/cpu"
build="${BUILD_DIR:-$root/build}"
work="$build/benchmarks/cpu"
docs="$root/docs/performance"
L=/usr/lib/llvm-22/bin
shapes=(16384x32 4096x128 1024x1024 256x4096 64x16384 16x65536 4x262144
  1x1048576 4096x4096)

# Peers used only here, never by the tests: oneDNN from Debian; PyTorch
# (about 6 GB with its CUDA libraries), IREE and matplotlib from PyPI.
"$root/scripts/setup.sh"
if ! dpkg -s libdnnl-dev >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libdnnl-dev >/dev/null
fi
python3 -c "import matplotlib, torch, iree.compiler, iree.runtime" 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check matplotlib torch \
    iree-base-compiler iree-base-runtime

"$root/scripts/build.sh"
mkdir -p "$work" "$docs"

# Ours, at one and two threads.
for t in 1 2; do
  sed "s/_rows(/_rows_${t}t(/" "$here/kernels.mlir" > "$work/kernels_${t}t.mlir"
  "$build/bin/softmax-compile" "$work/kernels_${t}t.mlir" --emit=shared-lib \
    --num-threads=$t -o "$work/libkernels_${t}t.so"
done

# oneDNN behind a C interface.
g++ -O2 -std=c++17 -fPIC -shared -fopenmp "$here/onednn_shim.cpp" -ldnnl \
  -o "$work/libonednn_shim.so"

# Upstream MLIR: linalg.softmax through a transform schedule and upstream
# passes only.
python3 "$here/upstream_linalg.py" "$work/linalg" "${shapes[@]}"
objs=()
while read -r name shape sched; do
  "$L/mlir-opt" "$work/linalg/$name.mlir" \
    "--transform-preload-library=transform-library-paths=$work/linalg/$sched" \
    -transform-interpreter -canonicalize -loop-invariant-subset-hoisting \
    -canonicalize \
    "-one-shot-bufferize=bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
    -buffer-loop-hoisting -buffer-deallocation-pipeline -canonicalize \
    -test-math-polynomial-approximation -convert-vector-to-scf \
    -convert-linalg-to-loops -expand-strided-metadata -lower-affine \
    -convert-scf-to-cf "-convert-vector-to-llvm=reassociate-fp-reductions" \
    -finalize-memref-to-llvm -convert-math-to-llvm -convert-arith-to-llvm \
    -convert-cf-to-llvm -convert-func-to-llvm -convert-ub-to-llvm \
    -reconcile-unrealized-casts -o "$work/linalg/$name.llvm.mlir"
  "$L/mlir-translate" --mlir-to-llvmir "$work/linalg/$name.llvm.mlir" \
    -o "$work/linalg/$name.ll"
  "$L/clang" -O3 -march=native -fPIC -Wno-override-module -c \
    "$work/linalg/$name.ll" -o "$work/linalg/$name.o"
  objs+=("$work/linalg/$name.o")
done < "$work/linalg/linalg.txt"
"$L/clang" -shared "${objs[@]}" -o "$work/liblinalg.so"

# IREE: llvm-cpu for the host CPU.
python3 "$here/iree_kernels.py" "$work/iree" "${shapes[@]}"
for s in "${shapes[@]}"; do
  iree-compile "$work/iree/iree_$s.mlir" --iree-hal-target-device=local \
    --iree-hal-local-target-device-backends=llvm-cpu \
    --iree-llvmcpu-target-cpu=host -o "$work/iree_$s.vmfb"
done

args=()
[ -n "${REPS:-}" ] && args=(--reps "$REPS" --reps-big $(((REPS + 1) / 2)))
[ "${QUICK:-0}" = 1 ] && args=(--reps 3 --reps-big 2)
# Three OpenMP runtimes share this process (oneDNN's and PyTorch's GNU
# ones, ours LLVM's). Idle workers of one spinning on the second core would
# stall the others' two-thread calls, and workers that sleep at once pay a
# wake-up per call: all spin briefly (GNU's default, about a millisecond;
# LLVM's default is 200 ms), which a batch's warm-up call absorbs.
export KMP_BLOCKTIME=1
python3 "$here/bench.py" "$work" "${args[@]}" > "$work/results.csv"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
  echo "host llvm cpu: $("$L/llc" --version | sed -n 's/.*Host CPU: //p')"
  echo "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|fma)$' | tr '\n' ' ')"
  echo "cores: $(nproc)"
  echo "oneDNN: $(dpkg-query -W -f='${Version}' libdnnl-dev)"
  python3 -c "import torch; print('PyTorch:', torch.__version__, torch.backends.cpu.get_cpu_capability())"
  python3 -c "import iree.compiler as c; print('IREE:', c.version.VERSION)" 2>/dev/null ||
    echo "IREE: $(pip show iree-base-compiler 2>/dev/null | sed -n 's/^Version: //p')"
} > "$work/env.txt"
python3 "$here/report.py" "$work/results.csv" "$work/env.txt" \
  "$docs/cpu.md" "$docs/cpu.png"
echo "wrote $docs/cpu.md and $docs/cpu.png"
