#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ into build/fuzz and runs them one after
# another (the Makefile's `fuzz` and `test-fuzz` call this; see tests/fuzz/README.md).
#
#   tests/fuzz/run.sh [--smoke] [--seconds N] [target...]
#
# Each target first replays tests/fuzz/regressions/<target>/*, then fuzzes for N seconds
# (default 300) under ASan + UBSan, from the committed seeds (tests/fuzz/corpus/<target>)
# into a corpus kept in build/fuzz/corpus/<target> (--smoke: a fresh one under
# build/fuzz/smoke-corpus, so the run time does not grow with what earlier runs found).
# Prints, for each target, the executions, coverage (cov/ft) and whether anything was
# found; exits 1 when anything was (the input is in build/fuzz/artifacts/<target>/).
#
# Environment: FUZZ_CC / FUZZ_CXX (clang-14 / clang++-14), FUZZ_JOBS (build jobs, 2),
# FUZZ_TIMEOUT (seconds one input may take, 10), FUZZ_RSS_MB (2048), FUZZ_MAX_LEN (1048576),
# FUZZ_FLAGS (more libFuzzer flags, e.g. -len_control=0 to mutate large inputs at once),
# FUZZ_SEEDS (a folder whose <target>/ subfolders are read as more seeds, e.g. inputs
# near 1 MiB made by tests/fuzz/make_large_seeds.mjs).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT="$ROOT/build/fuzz"
FUZZ_DIR="$ROOT/tests/fuzz"
ALL_TARGETS=(json base58 auth_token envelope message jazz resign_message resign_jazz abi abi_state)

smoke=0
seconds=300
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --seconds) seconds=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
case "$seconds" in ''|*[!0-9]*) echo "fuzz: --seconds must be a whole number, got '$seconds'" >&2; exit 2 ;; esac

CC_BIN=${FUZZ_CC:-clang-14}
CXX_BIN=${FUZZ_CXX:-clang++-14}
for tool in "$CC_BIN" "$CXX_BIN"; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool not found (make setup installs clang and libclang-rt-14-dev)" >&2; exit 2; }
done

# ---- build ----------------------------------------------------------------------
mkdir -p "$OUT"
build_start=$(date +%s)
if ! cmake -S "$FUZZ_DIR" -B "$OUT" -DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" \
     >"$OUT/configure.log" 2>&1; then
  cat "$OUT/configure.log" >&2
  exit 2
fi
if ! cmake --build "$OUT" -j"${FUZZ_JOBS:-2}" >"$OUT/build.log" 2>&1; then
  grep -E "error|Error" -A5 "$OUT/build.log" | head -80 >&2 || tail -50 "$OUT/build.log" >&2
  echo "fuzz: build failed (full log: $OUT/build.log)" >&2
  exit 2
fi
echo "fuzz: targets built in $(( $(date +%s) - build_start )) s ($OUT)"

# ---- run ------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
max_len=${FUZZ_MAX_LEN:-1048576}
summary="$OUT/summary.txt"
{
  dirty=$(git status --porcelain -- src wasm 2>/dev/null | wc -l)
  echo "jazzrpc fuzz run: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $seconds s per target$([ $smoke = 1 ] && echo ' (smoke)')${FUZZ_FLAGS:+, flags $FUZZ_FLAGS}${FUZZ_SEEDS:+, seeds of $FUZZ_SEEDS}, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$([ "$dirty" != 0 ] && echo ", with uncommitted changes to $dirty files in src/ and wasm/")"
  printf '%-15s %12s %9s %7s %7s %7s  %s\n' target executions exec/s cov ft corpus result
} >"$summary"

# The number after a label ("cov: 916") in a file or stdin (-), last occurrence.
field() { grep -oE "$1[[:space:]]+[0-9]+" "$2" | awk '{print $2}' | tail -n1 || true; }

failed=()
for t in "${targets[@]}"; do
  bin="$OUT/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: no target '$t' (targets: ${ALL_TARGETS[*]})" >&2; exit 2; }
  mkdir -p "$OUT/logs" "$OUT/artifacts/$t"
  log="$OUT/logs/$t.log"
  result=ok

  # Regressions: every input once; any report fails the target.
  regress=()
  if [ -d "$FUZZ_DIR/regressions/$t" ]; then
    while IFS= read -r -d '' f; do regress+=("$f"); done < <(find "$FUZZ_DIR/regressions/$t" -type f ! -name '*.md' -print0 | sort -z)
  fi
  if [ ${#regress[@]} -gt 0 ]; then
    if ! "$bin" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -timeout="${FUZZ_TIMEOUT:-10}" "${regress[@]}" >"$OUT/logs/$t.regressions.log" 2>&1; then
      result="REGRESSION (see $OUT/logs/$t.regressions.log)"
      grep -E "ERROR|invariant|runtime error|Running:" "$OUT/logs/$t.regressions.log" | head -20 >&2 || true
    fi
  fi

  if [ "$smoke" = 1 ]; then
    corpus="$OUT/smoke-corpus/$t"
    rm -rf "$corpus"
  else
    corpus="$OUT/corpus/$t"
  fi
  mkdir -p "$corpus"
  rc=0
  extra_seeds=()
  [ -n "${FUZZ_SEEDS:-}" ] && [ -d "$FUZZ_SEEDS/$t" ] && extra_seeds=("$FUZZ_SEEDS/$t")
  # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
  "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout="${FUZZ_TIMEOUT:-10}" \
    -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -dict="$FUZZ_DIR/jazzrpc.dict" -print_final_stats=1 \
    -artifact_prefix="$OUT/artifacts/$t/" ${FUZZ_FLAGS:-} "$corpus" "$FUZZ_DIR/corpus/$t" ${extra_seeds[@]+"${extra_seeds[@]}"} >"$log" 2>&1 || rc=$?

  # The last status line: "#<runs> <event> cov: <n> ft: <n> corp: <n>/<size> ..."
  status_line=$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)
  runs=$(field 'stat::number_of_executed_units:' "$log")
  [ -n "$runs" ] || runs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$status_line")
  rate=$(field 'stat::average_exec_per_sec:' "$log")
  cov=$(field 'cov:' - <<<"$status_line")
  ft=$(field 'ft:' - <<<"$status_line")
  corp=$(field 'corp:' - <<<"$status_line")
  if [ "$rc" != 0 ]; then
    artifact=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n1 | sed 's/Test unit written to //' || true)
    kind=$(grep -oE "(ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|runtime error|invariant violated|ALARM: working on the last Unit for [0-9]+ seconds|out-of-memory)" "$log" | head -n1 || true)
    result="FOUND ${kind:-exit $rc}: ${artifact:-see $log}"
    echo "---- fuzz_$t: ${kind:-exit $rc} ----" >&2
    # What broke, and the stack frames in jazzrpc's own code (the full report is in the log).
    { grep -E "jazz""rpc fuzz: invariant|^   [a-z]|ERROR: |runtime error|SUMMARY" "$log" | head -12
      grep -E "^ +#[0-9]+ 0x[0-9a-f]+ in .*($ROOT/src/|$ROOT/tests/fuzz/)" "$log" | head -12
      echo "(full report: $log)"; } >&2 || true
  fi
  [ "$result" = ok ] || failed+=("$t")
  line=$(printf '%-15s %12s %9s %7s %7s %7s  %s' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result")
  echo "$line" | tee -a "$summary"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]} (inputs in $OUT/artifacts/; minimise with: $OUT/fuzz_<target> -minimize_crash=1 -runs=10000 <input>)" | tee -a "$summary" >&2
  exit 1
fi
echo "fuzz: nothing found (summary: $summary)"
