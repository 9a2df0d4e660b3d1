#!/usr/bin/env bash
# Installs what is missing, builds softmax-mlir, and runs every test suite:
# the lit suite (dialect, passes, pipelines, tools, CPU integration tests
# against a float64 reference), the GoogleTest unit tests (the C API's
# among them), and the Python package's pytest suite after
# `pip install ./python`. Ends with one line `N passed, N failed` over all
# suites; exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
PYTHON="${PYTHON:-python3}"

"$root/scripts/setup.sh" --tests || { echo "0 passed, 1 failed"; exit 1; }
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
  (cd "$root/python/tests" && "$PYTHON" -m pytest -q -p no:cacheprovider \
    --junitxml="$results/python.xml" .)
else
  echo "pip install ./python failed"
fi

"$PYTHON" "$root/scripts/summarize_tests.py" "$results/lit.xml" \
  "$results/unittests.xml" "$results/python.xml"
