#!/usr/bin/env bash
# Builds softmax-mlir with AddressSanitizer and UndefinedBehaviorSanitizer
# (SOFTMAX_MLIR_SANITIZE, and the libFuzzer targets of fuzz/ with
# SOFTMAX_MLIR_BUILD_FUZZERS) in $SANITIZE_BUILD_DIR (default
# build-sanitize/), then runs the lit suite, the GoogleTest suite and the
# Python package's pytest suite against that build, writing JUnit reports
# lit-sanitize.xml, unittests-sanitize.xml and python-sanitize.xml to
# $RESULTS_DIR (default $SANITIZE_BUILD_DIR/test-results). Any sanitizer
# report fails the test that made it.
#
#   scripts/sanitize.sh              build, then run lit, ctest and pytest
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

# The Python package over this build's C API, in a virtual environment of
# its own (NumPy and PyTorch from the system's site-packages), its pytest
# suite run by a Python that preloads the ASan runtime (Python itself is
# not instrumented; its leaks at exit are not ours: no leak check). LLVM's
# in-process JIT fails intermittently under an ASan runtime whether or not
# our code is instrumented (upstream llvm-project#102858, #135401), so the
# modules the tests call are built as shared libraries
# (SOFTMAX_MLIR_TEST_NO_JIT=1, python/tests/modules.py) and test_wheel.py
# (a packaging test) is left out.
echo "== pytest under ASan+UBSan (python/tests over $build)"
PYTHON="${PYTHON:-python3}"
venv="$build/python-venv"
asan_runtime="$(clang-22 -print-file-name=libclang_rt.asan-x86_64.so)"
if { [ -x "$venv/bin/python" ] ||
     "$PYTHON" -m venv --system-site-packages "$venv"; } &&
   SOFTMAX_MLIR_BUILD_DIR="$build" "$venv/bin/python" -m pip install -q \
     --disable-pip-version-check --no-deps --ignore-installed "$root/python" \
     -C build-dir="$build/python-build"; then
  (cd "$root/python/tests" &&
    LD_PRELOAD="$asan_runtime" \
    ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    SOFTMAX_MLIR_TEST_NO_JIT=1 "$venv/bin/python" -m pytest -q \
    -p no:cacheprovider --ignore=test_wheel.py \
    --junitxml="$results/python-sanitize.xml" .) || status=1
else
  echo "sanitize: installing the Python package over $build failed"
  status=1
fi
exit $status
