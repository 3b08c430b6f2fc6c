#!/usr/bin/env bash
# Every benchmark of issues 9 and 19 in one command (see BENCHMARKS.md):
#   1. per-call overhead (three runs in separate processes, exact allocations) and
#   2. goodput at the rate limit:          cargo bench --bench client
#   1b. instructions per call (callgrind): scripts/bench-instructions.sh   (skipped without valgrind)
#   3. build cost in the workspace:        scripts/bench-build.sh          (clean build in target/bench-build)
#   4. what a dependent pays to build:     scripts/bench-consumer.sh       (two scratch crates, clean)
# The full output goes to target/bench-output.txt; the `RESULT` lines (figures, spreads and ratios)
# are repeated at the end. Numbers only: nothing here asserts a timing.
#
# Usage: scripts/bench.sh [--no-clean] [--no-release] [--no-instructions] [--no-consumer]
#   --no-clean, --no-release   passed to scripts/bench-build.sh
#   --no-instructions          skip the callgrind run (about 2 min)
#   --no-consumer              skip the consumer build benchmark (3 pairs of clean builds, 10–20 min)
# Environment knobs of each part are listed in BENCHMARKS.md (e.g. BENCH_CONSUMER_RUNS, INVENT_BENCH_RUNS).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_ARGS=()
INSTRUCTIONS=1
CONSUMER=1
for arg in "$@"; do
  case $arg in
    --no-clean | --no-release) BUILD_ARGS+=("$arg") ;;
    --no-instructions) INSTRUCTIONS=0 ;;
    --no-consumer) CONSUMER=0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
mkdir -p target
OUT=target/bench-output.txt
{
  echo "# scripts/bench.sh $* — $(date -u +%Y-%m-%dT%H:%MZ), tree $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
  echo "machine: $(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load:$(uptime | sed 's/.*load average://')"
  cargo bench --quiet --bench client
  if [ "$INSTRUCTIONS" = 1 ]; then scripts/bench-instructions.sh; fi
  scripts/bench-build.sh "${BUILD_ARGS[@]}"
  if [ "$CONSUMER" = 1 ]; then scripts/bench-consumer.sh; fi
  echo "load at the end:$(uptime | sed 's/.*load average://')"
} 2>&1 | tee "$OUT"
echo
echo "== summary (from $OUT)"
grep '^RESULT' "$OUT"
