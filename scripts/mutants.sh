#!/usr/bin/env bash
# Mutation testing of the hand-written runtime with cargo-mutants: each mutant (a function body replaced,
# an operator flipped) is built and the tests that cover the call path are run against it; a mutant the
# tests do not notice is "missed". Not part of the test command: one mutant costs an incremental build of
# invent-api (the generated client included) plus the selected tests, about 1 minute on 2 cores, and the
# eight modules below hold about 480 mutants. Split the work with `--shard K/N` (one machine each) and
# merge the tables.
#
#   scripts/mutants.sh                      # the eight modules the call path depends on
#   scripts/mutants.sh src/client/org.rs src/retry/budget.rs --shard 0/4
#
# Writes mutants.out/ (cargo-mutants' own logs: caught.txt, missed.txt, unviable.txt, timeout.txt) and
# prints one table row per file: mutants, caught, missed, unviable, timeouts, score = (caught + timeouts) /
# viable (a mutant that hangs the tests did not pass them).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || { echo "mutants: install it first: cargo install --locked cargo-mutants" >&2; exit 2; }

files=()
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shard) passthrough+=("$1" "$2"); shift 2 ;;
    --*) passthrough+=("$1"); shift ;; # other cargo-mutants options, as --name=value
    *) files+=("$1"); shift ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  files=(src/call/retry_loop.rs 'src/retry/*.rs' 'src/limiter/*.rs'
    src/body.rs src/pagination.rs src/client/org.rs src/call.rs)
fi
file_args=()
for f in "${files[@]}"; do file_args+=(-f "$f"); done

# The tests that exercise the call path; the slow ones that build other crates (drift, corpus) and the
# ones that need Prism or Redis are left out, so a mutant costs one build and under a minute of tests.
tests=(--lib --test fault_matrix --test retry_limiter --test pagination --test org_alias --test errors
  --test auth --test security_body_limits --test security_path_segments --test config_env --test tracing_spans
  --test mock_server)
test_args=()
for t in "${tests[@]}"; do test_args+=("--cargo-test-arg=$t"); done

status=0
cargo mutants --package invent-api --all-features --test-package invent-api "${file_args[@]}" "${test_args[@]}" \
  --timeout-multiplier 3 --output . "${passthrough[@]}" || status=$?
# cargo-mutants exits 2 when a mutant is missed, 3 on timeouts: the table says which; 1 and 4 are its errors.
case "$status" in 0 | 2 | 3) ;; *) echo "mutants: cargo-mutants failed (exit $status)" >&2; exit "$status" ;; esac

python3 - "mutants.out" <<'PY'
import collections, os, sys
out = sys.argv[1]
rows = collections.defaultdict(collections.Counter)
for outcome in ("caught", "missed", "unviable", "timeout"):
    path = os.path.join(out, outcome + ".txt")
    if not os.path.exists(path):
        continue
    for line in open(path):
        if line.strip():
            rows[line.split(":", 1)[0]][outcome] += 1
print("| file | mutants | caught | missed | unviable | timeout | score |")
print("|---|---:|---:|---:|---:|---:|---:|")
total = collections.Counter()
for name in sorted(rows):
    c = rows[name]
    total.update(c)
    viable = c["caught"] + c["missed"] + c["timeout"]
    score = f"{100 * (c['caught'] + c['timeout']) / viable:.0f} %" if viable else "-"
    print(f"| {name} | {sum(c.values())} | {c['caught']} | {c['missed']} | {c['unviable']} | {c['timeout']} | {score} |")
viable = total["caught"] + total["missed"] + total["timeout"]
if viable:
    print(f"| all | {sum(total.values())} | {total['caught']} | {total['missed']} | {total['unviable']} | {total['timeout']} | {100 * (total['caught'] + total['timeout']) / viable:.0f} % |")
print(f"\nMissed mutants: {out}/missed.txt")
PY
exit "$status"
