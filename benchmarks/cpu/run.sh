#!/usr/bin/env bash
# CPU benchmark: builds softmax-mlir, compiles benchmarks/cpu/kernels.mlir
# for this machine, and times it against oneDNN and plain C++ on the grid of
# ../shared/anchors/cpu (f32, last axis), interleaved in one process. Writes
# docs/performance/cpu.md (table) and docs/performance/cpu.png (plot).
#
#   benchmarks/cpu/run.sh             full run (~3 min)
#   QUICK=1 benchmarks/cpu/run.sh     smoke run (few repetitions)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/benchmarks/cpu"
build="${BUILD_DIR:-$root/build}"
work="$build/benchmarks/cpu"
docs="$root/docs/performance"

# Peers used only here, never by the tests.
"$root/scripts/setup.sh"
if ! dpkg -s libdnnl-dev >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libdnnl-dev >/dev/null
fi
python3 -c "import matplotlib" 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check matplotlib

"$root/scripts/build.sh"
mkdir -p "$work" "$docs"
for t in 1 2; do
  sed "s/_rows(/_rows_${t}t(/" "$here/kernels.mlir" > "$work/kernels_${t}t.mlir"
  "$build/bin/softmax-compile" "$work/kernels_${t}t.mlir" --emit=shared-lib \
    --num-threads=$t -o "$work/libkernels_${t}t.so" \
    --header="$work/kernels_${t}t.h"
done
g++ -O3 -march=native -DSYM=naive_strict -c "$here/naive_softmax.cpp" \
  -o "$work/naive_strict.o"
g++ -O3 -march=native -ffast-math -DSYM=naive_fastmath \
  -c "$here/naive_softmax.cpp" -o "$work/naive_fastmath.o"
g++ -O2 -march=native -std=c++17 -fopenmp -I"$work" "$here/bench.cpp" \
  "$work/naive_strict.o" "$work/naive_fastmath.o" -L"$work" -lkernels_1t -lkernels_2t \
  -Wl,-rpath,"$work" -ldnnl -lmvec -lm -o "$work/bench"

args=()
[ "${QUICK:-0}" = 1 ] && args=(--reps 3 --reps-big 2)
# Two OpenMP runtimes share this process (oneDNN: GNU, ours: LLVM's); idle
# workers of one spinning on the second core would stall the other's
# two-thread calls, so idle workers sleep.
export OMP_WAIT_POLICY=passive
"$work/bench" "${args[@]}" > "$work/results.csv"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
  echo "host llvm cpu: $("$build/bin/softmax-opt" --version >/dev/null 2>&1; /usr/lib/llvm-22/bin/llc --version | sed -n 's/.*Host CPU: //p')"
  echo "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|fma)$' | tr '\n' ' ')"
  echo "cores: $(nproc)"
  echo "oneDNN: $(dpkg-query -W -f='${Version}' libdnnl-dev)"
} > "$work/env.txt"
python3 "$here/report.py" "$work/results.csv" "$work/env.txt" \
  "$docs/cpu.md" "$docs/cpu.png"
echo "wrote $docs/cpu.md and $docs/cpu.png"
