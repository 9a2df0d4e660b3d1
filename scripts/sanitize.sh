#!/usr/bin/env bash
# Builds softmax-mlir with AddressSanitizer and UndefinedBehaviorSanitizer
# (SOFTMAX_MLIR_SANITIZE, and the libFuzzer targets of fuzz/ with
# SOFTMAX_MLIR_BUILD_FUZZERS) in $SANITIZE_BUILD_DIR (default
# build-sanitize/), then runs the lit suite and the GoogleTest suite against
# that build, writing JUnit reports lit-sanitize.xml and
# unittests-sanitize.xml to $RESULTS_DIR (default $SANITIZE_BUILD_DIR/
# test-results). Any sanitizer report fails the test that made it.
#
#   scripts/sanitize.sh              build, then run lit and ctest
#   scripts/sanitize.sh --build-only build (scripts/fuzz.sh uses this)
#
# LIT_FILTER_OUT (lit's: a regular expression over test paths) leaves tests
# out. Exits non-zero if the build or any test fails.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SANITIZE_BUILD_DIR:-$root/build-sanitize}"
results="${RESULTS_DIR:-$build/test-results}"

BUILD_DIR="$build" "$root/scripts/build.sh" \
  -DSOFTMAX_MLIR_SANITIZE=ON -DSOFTMAX_MLIR_BUILD_FUZZERS=ON ||
  { echo "sanitize: build failed"; exit 1; }
[ "${1:-}" = --build-only ] && exit 0

# Leaks are reported too (LeakSanitizer is on by default with ASan); UBSan
# prints where it stopped.
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
mkdir -p "$results"
status=0
echo "== lit under ASan+UBSan ($build)"
/usr/lib/llvm-22/bin/lit -sv --xunit-xml-output "$results/lit-sanitize.xml" \
  "$build/test" || status=1
echo "== GoogleTest under ASan+UBSan (ctest)"
ctest --test-dir "$build" --output-on-failure \
  --output-junit "$results/unittests-sanitize.xml" || status=1
exit $status
