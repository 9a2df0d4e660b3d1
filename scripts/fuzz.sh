#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ for a bounded time each:
#   softmax-fuzz-parse         parse, verify, print and parse again
#   softmax-fuzz-cpu-pipeline  softmax-cpu-pipeline, then LLVM IR
#   softmax-fuzz-gpu-pipeline  softmax-gpu-pipeline to PTX (in process)
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default: 60, all)
#
# Builds them first if needed, in the sanitized build $SANITIZE_BUILD_DIR
# (default build-sanitize/, through scripts/sanitize.sh --build-only). Seeds
# each target's corpus from the .mlir files of test/ and examples/, split on
# `// -----`. Corpora grow in $build/fuzz/corpus/TARGET; an input that
# crashes (or times out, or runs out of memory) is left in
# $build/fuzz/artifacts/TARGET/. Prints per target the executions and
# whether it ran clean; with FUZZ_JUNIT=FILE also writes a JUnit report
# (one test case per target). Exits non-zero if any target found a crash.
#
# Per input: at most FUZZ_TIMEOUT seconds (default 60), FUZZ_MAX_LEN bytes
# (default 16384) and FUZZ_RSS_LIMIT_MB (default 4096).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SANITIZE_BUILD_DIR:-$root/build-sanitize}"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] &&
  targets=(softmax-fuzz-parse softmax-fuzz-cpu-pipeline softmax-fuzz-gpu-pipeline)
timeout_s="${FUZZ_TIMEOUT:-60}"
max_len="${FUZZ_MAX_LEN:-16384}"
rss_limit="${FUZZ_RSS_LIMIT_MB:-4096}"

SANITIZE_BUILD_DIR="$build" "$root/scripts/sanitize.sh" --build-only || exit 1

# Seeds: every split of every .mlir file of the lit tests and examples.
seeds="$build/fuzz/seeds"
rm -rf "$seeds" && mkdir -p "$seeds"
python3 - "$root" "$seeds" <<'PY'
import pathlib, re, sys
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
count = 0
for path in sorted(list((root / "test").rglob("*.mlir")) +
                   list((root / "examples").rglob("*.mlir"))):
    text = path.read_text(errors="replace")
    for i, part in enumerate(re.split(r"^// -----.*$", text, flags=re.M)):
        if part.strip():
            name = "%s-%d.mlir" % (path.relative_to(root).as_posix().replace("/", "_"), i)
            (out / name).write_text(part)
            count += 1
print("fuzz: %d seeds" % count)
PY

junit_cases=""
status=0
for target in "${targets[@]}"; do
  binary="$build/bin/$target"
  corpus="$build/fuzz/corpus/$target"
  artifacts="$build/fuzz/artifacts/$target"
  log="$build/fuzz/$target.log"
  mkdir -p "$corpus" "$artifacts"
  start=$(date +%s)
  # SIGINT at the time bound also stops the first pass over the corpus,
  # which max_total_time does not bound; libFuzzer then prints its final
  # statistics and exits (timeout returns 124). One that does not stop is
  # killed 30 s later (137).
  timeout -s INT -k 30 "$seconds" "$binary" "$corpus" "$seeds" \
    -max_total_time="$seconds" -timeout="$timeout_s" -max_len="$max_len" \
    -rss_limit_mb="$rss_limit" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -z "$execs" ] && execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  [ -z "$execs" ] && execs=0
  # A crash, a timeout, an out-of-memory or a leak leaves an input behind.
  if { [ $rc -eq 0 ] || [ $rc -eq 124 ]; } &&
    ! grep -q 'Test unit written to' "$log"; then
    result=clean
    failure=""
  else
    result="FAILED (exit $rc)"
    status=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    [ -n "$artifact" ] && result="$result, input: $artifact"
    tail -40 "$log"
    failure="<failure message=\"exit $rc\">$(tail -40 "$log" | python3 -c \
      'import html, sys; print(html.escape(sys.stdin.read()))')</failure>"
  fi
  echo "fuzz: $target: ${elapsed} s, $execs executions, $result (log: $log)"
  junit_cases+="<testcase classname=\"fuzz\" name=\"$target\" time=\"$elapsed\">$failure<system-out>$execs executions in $elapsed s</system-out></testcase>"
done

if [ -n "${FUZZ_JUNIT:-}" ]; then
  mkdir -p "$(dirname "$FUZZ_JUNIT")"
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="fuzz" tests="%d">%s</testsuite></testsuites>\n' \
    "${#targets[@]}" "$junit_cases" >"$FUZZ_JUNIT"
fi
exit $status
