#!/usr/bin/env bash
# All benchmarks of issue 9 in one command (see BENCHMARKS.md):
#   1. per-call overhead and 2. goodput at the rate limit: `cargo bench --bench client`
#   3. build cost: scripts/bench-build.sh (clean build in target/bench-build; pass --no-clean to reuse it)
# The full output goes to target/bench-output.txt; the `RESULT` lines (ratios and figures) are
# repeated at the end. Numbers only: nothing here asserts a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
OUT=target/bench-output.txt
{
  echo "# scripts/bench.sh $* — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load:$(uptime | sed 's/.*load average://')"
  cargo bench --quiet --bench client
  scripts/bench-build.sh "$@"
} 2>&1 | tee "$OUT"
echo
echo "== summary (from $OUT)"
grep '^RESULT' "$OUT"
