#!/usr/bin/env bash
# The CPU side of the GPU benchmark, run on the build machine: compiles our
# kernels for the anchors' shape plan (../shared/anchors/gpu/anchors.py:
# M = 256 MiB / (4 N) rows of N, f32 and bf16) to PTX with a JSON sidecar
# each, checks that every kernel assembles with ptxas without spills, builds
# the correctness check's library (test/Integration/GPU/Inputs/gpu_check.py:
# every strategy, hard values, unaligned buffers, through the C ABI), and
# puts the anchors script beside them; the same for the family's check
# and timing (test/Integration/GPU/Inputs/family_check.py). benchmarks/gpu/run.sh then runs on
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

assemble() { # PTX LOG: ptxas for sm_90, failing on any spill or stack
  "$ptxas" -arch=sm_90 -v "$1" -o /dev/null 2> "$2"
  if grep -qE "[1-9][0-9]* bytes (stack frame|spill)" "$2"; then
    echo "error: a kernel of $1 spills registers:" >&2
    cat "$2" >&2
    exit 1
  fi
}

emit() { # op dtype M N
  local op=$1 dt=$2 m=$3 n=$4
  local name="${op}_${dt}_${m}x${n}"
  cat > "$out/src/$name.mlir" <<MLIR
func.func @$name(%x: tensor<${m}x${n}x${dt}>) -> tensor<${m}x${n}x${dt}> {
  %y = softmax.$op %x dim(1) : tensor<${m}x${n}x${dt}>
  return %y : tensor<${m}x${n}x${dt}>
}
MLIR
  "$build/bin/softmax-compile" "$out/src/$name.mlir" --target=cuda \
    --chip=sm_90 --emit=ptx -o "$out/kernels/$name.ptx"
  # The anchors' buffers are 16-byte aligned: time the vector kernels only.
  rm -f "$out/kernels/$name".*_unaligned.json
  if [ -n "$ptxas" ]; then
    assemble "$out/kernels/$name.ptx" "$out/kernels/$name.ptxas.txt"
  fi
}
# The anchors' plan: M = 256 MiB / (4 N) rows (the same M for bf16), and
# few rows (1, 4, 8) of 262144 and 1048576.
for n in 128 256 512 1024 1025 2048 4096 12288 16384 32768 65536 262144 1048576; do
  for dt in f32 bf16; do emit softmax "$dt" $((268435456 / (4 * n))) "$n"; done
done
for n in 262144 1048576; do
  for m in 1 4 8; do
    for dt in f32 bf16; do emit softmax "$dt" "$m" "$n"; done
  done
done
for n in 1024 4096 32768 262144; do
  for dt in f32 bf16; do emit log_softmax "$dt" $((268435456 / (4 * n))) "$n"; done
done

{
  echo "kernel | registers | spills"
  for f in "$out"/kernels/*.ptxas.txt; do
    k="$(basename "$f" .ptxas.txt)"
    echo "$k | $(grep -o 'Used [0-9]* registers' "$f" | grep -o '[0-9]*' | tr '\n' ' ')|" \
      "$(grep -o '[0-9]* bytes spill stores' "$f" | sort -u | tr '\n' ' ')"
  done
} > "$out/ptxas.txt" 2>/dev/null || true
python3 "$root/test/Integration/GPU/Inputs/gpu_check.py" build "$out/check" \
  --compiler "$build/bin/softmax-compile"
# The family (gradients, sparsemax, entmax, cross-entropy, masked softmax):
# its check's and timing's library, and its kernels through ptxas.
family="$root/test/Integration/GPU/Inputs/family_check.py"
python3 "$family" build "$out/family" --compiler "$build/bin/softmax-compile"
if [ -n "$ptxas" ]; then
  "$build/bin/softmax-compile" "$out/family/family.mlir" --target=cuda \
    --chip=sm_90 --emit=ptx -o "$out/family/family.ptx"
  assemble "$out/family/family.ptx" "$out/family/ptxas.txt"
  rm -f "$out"/family/family.*.json
fi
echo "built $(ls "$out"/kernels/*.json | wc -l) kernels in $out"
