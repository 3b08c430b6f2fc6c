#!/usr/bin/env bash
# Per-call overhead as instruction counts: deterministic, so it does not move with the load
# of a shared machine the way timings do. Runs the overhead benchmark's profile mode
# (`INVENT_BENCH_PROFILE=raw|send`, see benches/client.rs) under `valgrind --tool=callgrind` for
# N1 and N2 sequential calls and takes the difference, so setup (runtimes, connections, TLS roots)
# cancels out; only the client thread is counted (`--separate-threads=yes`, thread 1; the loopback
# server runs on its own thread). With --cache-sim it also reports simulated L1 instruction/data
# misses and branch mispredictions per call (slower).
#
# Usage: scripts/bench-instructions.sh [--cache-sim]
#   BENCH_INSTR_CALLS="N1 N2"  call counts (default "100 600")
# Prints a table and `RESULT overhead.instructions …`. Needs valgrind; prints a skip line without it.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=0
for arg in "$@"; do
  case $arg in
    --cache-sim) CACHE=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
if ! command -v valgrind >/dev/null; then
  echo "RESULT overhead.instructions skipped=valgrind-not-installed"
  exit 0
fi
read -r N1 N2 <<<"${BENCH_INSTR_CALLS:-100 600}"
BIN=$(cargo bench --quiet --bench client --no-run --message-format=json 2>/dev/null \
  | jq -r 'select(.executable != null and .target.name == "client") | .executable' | tail -1)
[ -x "$BIN" ] || { echo "bench binary not found" >&2; exit 1; }
WORK=target/bench-instructions
mkdir -p "$WORK"
OPTS=(--tool=callgrind --separate-threads=yes)
[ "$CACHE" = 1 ] && OPTS+=(--cache-sim=yes --branch-sim=yes)

count() { # $1 = variant, $2 = calls; prints the event totals of the client thread
  local out=$WORK/$1-$2.out
  rm -f "$out" "$out"-*
  INVENT_BENCH_PROFILE=$1 INVENT_BENCH_CALLS=$2 INVENT_BENCH_ROUNDS=1 \
    valgrind "${OPTS[@]}" --callgrind-out-file="$out" "$BIN" --bench overhead >"$WORK/$1-$2.log" 2>&1 \
    || { tail -5 "$WORK/$1-$2.log" >&2; exit 1; }
  grep -m1 -E '^(summary|totals):' "$out-01" | cut -d: -f2
}
declare -A TOTAL
for v in raw send; do
  for n in "$N1" "$N2"; do
    TOTAL[$v-$n]=$(count "$v" "$n")
  done
done
EVENTS=$(grep -m1 '^events:' "$WORK/raw-$N1.out-01" | cut -d: -f2)
python3 - "$N1" "$N2" "$EVENTS" "${TOTAL[raw-$N1]}" "${TOTAL[raw-$N2]}" "${TOTAL[send-$N1]}" "${TOTAL[send-$N2]}" <<'PY'
import sys
n1, n2 = int(sys.argv[1]), int(sys.argv[2])
events = sys.argv[3].split()
raw1, raw2, send1, send2 = (list(map(int, a.split())) for a in sys.argv[4:8])
per = lambda a, b: [(y - x) / (n2 - n1) for x, y in zip(a, b)]
raw, send = per(raw1, raw2), per(send1, send2)
names = {"Ir": "instructions", "I1mr": "L1 instruction misses", "D1mr": "L1 data read misses",
         "D1mw": "L1 data write misses", "Bcm": "conditional branch mispredictions",
         "Bim": "indirect branch mispredictions"}
print(f"\n## Instructions per call (callgrind, client thread, ({n2} - {n1} calls) / {n2 - n1})\n")
print("| event | raw | send | send − raw | send / raw |")
print("|---|---|---|---|---|")
fields = []
for i, e in enumerate(events):
    if e not in names:
        continue
    r, s = raw[i], send[i]
    print(f"| {names[e]} | {r:,.0f} | {s:,.0f} | {s - r:+,.0f} | {s / r if r else float('nan'):.4f} |")
    key = {"Ir": "instr", "I1mr": "i1_miss", "D1mr": "d1_read_miss", "D1mw": "d1_write_miss", "Bcm": "branch_miss", "Bim": "indirect_miss"}[e]
    fields.append(f"raw_{key}={r:.0f} send_{key}={s:.0f}")
ir = events.index("Ir")
print()
print(f"RESULT overhead.instructions ratio_raw_over_send={raw[ir] / send[ir]:.4f} extra_per_call={send[ir] - raw[ir]:.0f} "
      + " ".join(fields) + f" calls={n1},{n2}")
PY
