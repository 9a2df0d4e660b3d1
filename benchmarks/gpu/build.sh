#!/usr/bin/env bash
# The CPU side of the GPU benchmark, run on the build machine: compiles our
# kernels for the anchors' shape plan (../shared/anchors/gpu/anchors.py:
# M = 256 MiB / (4 N) rows of N, f32 and bf16) to PTX with a JSON sidecar
# each, checks that every kernel assembles with ptxas without spills, builds
# the correctness check's library (test/Integration/GPU/Inputs/gpu_check.py:
# every strategy, hard values, unaligned buffers, through the C ABI), and
# puts the anchors script beside them. benchmarks/gpu/run.sh then runs on
# the GPU machine with build/benchmarks/gpu carried over.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
out="$build/benchmarks/gpu"
anchors="${ANCHORS:-$root/../shared/anchors/gpu/anchors.py}"
"$root/scripts/build.sh"
rm -rf "$out" && mkdir -p "$out/kernels" "$out/src"
cp "$anchors" "$out/anchors.py"

ptxas="${CUDA_HOME:-/usr/local/cuda}/bin/ptxas"
[ -x "$ptxas" ] || ptxas="$(command -v ptxas || true)"

# Rows the strategies hold in registers today: up to 32768 elements
# (longer rows need the split strategy, not built yet).
emit() { # op dtype N
  local op=$1 dt=$2 n=$3 m=$(( 268435456 / (4 * $3) ))
  local name="${op}_${dt}_${m}x${n}"
  cat > "$out/src/$name.mlir" <<MLIR
func.func @$name(%x: tensor<${m}x${n}x${dt}>) -> tensor<${m}x${n}x${dt}> {
  %y = softmax.$op %x dim(1) : tensor<${m}x${n}x${dt}>
  return %y : tensor<${m}x${n}x${dt}>
}
MLIR
  "$build/bin/softmax-compile" "$out/src/$name.mlir" --target=cuda \
    --chip=sm_90 --emit=ptx -o "$out/kernels/$name.ptx"
  if [ -n "$ptxas" ]; then
    "$ptxas" -arch=sm_90 -v "$out/kernels/$name.ptx" -o /dev/null \
      2> "$out/kernels/$name.ptxas.txt"
    if grep -q "[1-9][0-9]* bytes spill" "$out/kernels/$name.ptxas.txt"; then
      echo "error: $name spills registers:" >&2
      cat "$out/kernels/$name.ptxas.txt" >&2
      exit 1
    fi
  fi
}
for n in 128 256 512 1024 1025 2048 4096 12288 16384 32768; do
  for dt in f32 bf16; do emit softmax "$dt" "$n"; done
done
for n in 1024 4096 32768; do
  for dt in f32 bf16; do emit log_softmax "$dt" "$n"; done
done

{
  echo "kernel | registers | spills"
  for f in "$out"/kernels/*.ptxas.txt; do
    k="$(basename "$f" .ptxas.txt)"
    echo "$k | $(grep -o 'Used [0-9]* registers' "$f" | grep -o '[0-9]*') |" \
      "$(grep -o '[0-9]* bytes spill stores' "$f")"
  done
} > "$out/ptxas.txt" 2>/dev/null || true
python3 "$root/test/Integration/GPU/Inputs/gpu_check.py" build "$out/check" \
  --compiler "$build/bin/softmax-compile"
echo "built $(ls "$out"/kernels/*.json | wc -l) kernels in $out"
