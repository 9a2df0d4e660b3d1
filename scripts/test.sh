#!/usr/bin/env bash
# Installs what is missing, builds softmax-mlir, and runs every test suite:
# the lit suite (dialect, passes, pipelines, tools, CPU integration tests
# against a float64 reference), the GoogleTest unit tests (the C API's
# among them), and the Python package's pytest suite after
# `pip install ./python`; then, in a second build with ASan and UBSan
# (scripts/sanitize.sh, build-sanitize/), the lit suite without its
# largest integration grids (SOFTMAX_MLIR_SANITIZE_FULL=1: all of it), the
# GoogleTest suite and the pytest suite (over that build's C API, a Python
# preloading the ASan runtime), and a short run of each fuzz target (scripts/fuzz.sh,
# FUZZ_SECONDS each, default 40); SOFTMAX_MLIR_SKIP_SANITIZE=1 skips both
# (docs/hardening.md). Ends with one line `N passed, N failed` over all
# suites; exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
PYTHON="${PYTHON:-python3}"
sanitize=1
[ "${SOFTMAX_MLIR_SKIP_SANITIZE:-0}" = 1 ] && sanitize=0

setup_options=(--tests)
[ $sanitize = 1 ] && setup_options+=(--sanitize)
"$root/scripts/setup.sh" "${setup_options[@]}" ||
  { echo "0 passed, 1 failed"; exit 1; }
if ! "$root/scripts/build.sh"; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

results="$build/test-results"
rm -rf "$results" && mkdir -p "$results"

echo "== lit (check-softmax-mlir)"
/usr/lib/llvm-22/bin/lit -sv --xunit-xml-output "$results/lit.xml" \
  "$build/test"
echo "== GoogleTest (ctest)"
ctest --test-dir "$build" --output-on-failure \
  --output-junit "$results/unittests.xml"
echo "== Python package (pip install ./python, pytest python/tests)"
# A failed install leaves no pytest report, which counts as a failure.
if SOFTMAX_MLIR_BUILD_DIR="$build" "$PYTHON" -m pip install -q \
    --disable-pip-version-check --no-deps "$root/python"; then
  (cd "$root/python/tests" && SOFTMAX_MLIR_BUILD_DIR="$build" \
    "$PYTHON" -m pytest -q -p no:cacheprovider \
    --junitxml="$results/python.xml" .)
else
  echo "pip install ./python failed"
fi

reports=("$results/lit.xml" "$results/unittests.xml" "$results/python.xml")
if [ $sanitize = 1 ]; then
  # Left out: the integration tests whose cost is compiling the same passes
  # over large grids of shapes and checking the generated code (which is
  # not instrumented) on them: the dtype grids (softmax-{f16,bf16,f32,
  # f64}.test), the torture suite, asan.test and long-row.test: two thirds
  # of the sanitized suite's time (docs/hardening.md). A build that fails
  # leaves no reports: failures.
  filter='Integration/CPU/(softmax-(f16|bf16|f32|f64)|torture-[a-z]+|asan|long-row)\.test'
  # lit's default, which leaves nothing out.
  [ "${SOFTMAX_MLIR_SANITIZE_FULL:-0}" = 1 ] && filter='^$'
  LIT_FILTER_OUT="$filter" RESULTS_DIR="$results" "$root/scripts/sanitize.sh"
  echo "== fuzz (scripts/fuzz.sh ${FUZZ_SECONDS:-40})"
  FUZZ_JUNIT="$results/fuzz.xml" "$root/scripts/fuzz.sh" "${FUZZ_SECONDS:-40}"
  reports+=("$results/lit-sanitize.xml" "$results/unittests-sanitize.xml"
            "$results/python-sanitize.xml"
            "$results/fuzz.xml")
fi

"$PYTHON" "$root/scripts/summarize_tests.py" "${reports[@]}"
