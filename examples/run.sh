#!/usr/bin/env bash
# Quick start: installs what is missing, builds softmax-mlir, compiles
# examples/classifier.mlir into a shared library with softmax-compile, and
# runs a C program that calls it through the generated header.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
out="$build/examples"

"$root/scripts/setup.sh"
"$root/scripts/build.sh"
mkdir -p "$out"
"$build/bin/softmax-compile" "$root/examples/classifier.mlir" \
  --emit=shared-lib -o "$out/libclassifier.so"
clang-22 -std=c11 -Wall -Werror -I"$out" "$root/examples/classifier.c" \
  -L"$out" -lclassifier -Wl,-rpath,"$out" -o "$out/classifier"
"$out/classifier"
