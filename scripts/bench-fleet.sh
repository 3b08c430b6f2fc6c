#!/usr/bin/env bash
# The shared-limiter fleet benchmark (see BENCHMARKS.md): starts a throwaway Redis with
# scripts/redis.sh, runs `cargo bench --features redis --bench fleet` against it (extra arguments go
# to the bench, e.g. `-- goodput`), and always stops Redis afterwards. Output: target/bench-fleet.txt,
# with the RESULT lines repeated at the end. Numbers only: nothing here asserts a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
OUT=target/bench-fleet.txt
INVENT_BENCH_REDIS_URL="$(scripts/redis.sh start)"
export INVENT_BENCH_REDIS_URL
trap 'scripts/redis.sh stop' EXIT
{
  echo "# scripts/bench-fleet.sh $* — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load:$(uptime | sed 's/.*load average://')"
  echo "redis: $(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/')"
  cargo bench --quiet --features redis --bench fleet "$@"
} 2>&1 | tee "$OUT"
echo
echo "== summary (from $OUT)"
grep '^RESULT' "$OUT"
