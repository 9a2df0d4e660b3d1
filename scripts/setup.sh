#!/usr/bin/env bash
# Installs everything softmax-mlir needs to build and test, idempotently:
# Debian's LLVM/MLIR 22 toolchain and the Python packages the integration
# tests use as their float64 reference. Does nothing when all is present.
set -euo pipefail

APT_PACKAGES=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools libmlir-22
  clang-22 lld-22 ninja-build cmake libgtest-dev libomp-22-dev
)
# Reference implementations for the integration tests (float64 NumPy).
# Heavy peers (torch, oneDNN) belong to benchmarks/, not here.
PIP_PACKAGES=(numpy)

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
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
if [ ${#missing_pip[@]} -gt 0 ]; then
  echo "setup: installing pip packages: ${missing_pip[*]}"
  "$PYTHON" -m pip install -q --disable-pip-version-check "${missing_pip[@]}"
fi
