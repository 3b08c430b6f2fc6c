#!/usr/bin/env bash
# Mutation testing of the hand-written runtime with cargo-mutants: each mutant (a function body replaced,
# an operator flipped) is built and the tests that cover its module are run against it; a mutant the
# tests do not notice is "missed". Not part of the test command (too slow for it).
#
#   scripts/mutants.sh                    # every group below, one after another
#   scripts/mutants.sh retry org          # only these groups
#   scripts/mutants.sh --shard 0/4 retry  # other cargo-mutants options pass through (as --name=value)
#
# Each group is a package, files and the test targets that cover them, passed to cargo as `-C` so that
# both the build and the test phase are limited to those targets: a mutant then costs an incremental
# build of the library and those targets (measured 2026-12-07 on 2 cores: ~5 s for `rewrite`, ~12 s with
# `--lib` alone, 20-45 s with ten integration targets; `call`, 129 mutants, 50 minutes while another run
# shared the cores). Run it where the workspace is already built with the test command's settings (a
# clone that ran scripts/test-all.sh), so the baseline build is incremental too: mutants are applied in
# place there (`--in-place`), never in a checkout you are editing. `--iterate` (passed through) re-tests
# only what the previous run of a group missed or timed out; the table then counts only those (cargo-mutants
# lists the earlier catches and unviable mutants together, in previously_caught.txt). docs/MUTATION.md
# has the last measurement.
#
# Writes mutants.out/<group>/ (cargo-mutants' logs: caught.txt, missed.txt, unviable.txt, timeout.txt)
# and prints one table row per file and one per group: mutants, caught, missed, unviable, timeouts,
# score = (caught + timeouts) / viable (a mutant that hangs the tests did not pass them).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || { echo "mutants: install it first: cargo install --locked cargo-mutants" >&2; exit 2; }
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}" # as scripts/test-all.sh

# group | package | files (globs) | test targets | service the tests need
GROUPS_TABLE='
retry|invent-api|src/retry/backoff.rs src/retry/budget.rs src/retry/stop.rs|--lib|
call|invent-api|src/call.rs src/call/retry_loop.rs src/retry/config.rs|--lib --test=fault_matrix --test=errors --test=security_redirects --test=tracing_spans --test=auth --test=security_body_limits --test=retry_limiter --test=subscribe_events --test=drift_capture --test=mock_server|
limiter|invent-api|src/limiter/bucket.rs src/limiter/window.rs src/limiter/settings.rs|--lib --test=retry_limiter --test=config_env|
shared-limiter|invent-api|src/limiter/link.rs src/limiter/shared.rs|--lib --test=limiter_redis --test=security_shared_limits|redis
body|invent-api|src/body.rs|--lib --test=security_body_limits --test=errors --test=fault_matrix --test=auth|
pagination|invent-api|src/pagination.rs|--lib --test=pagination|
org|invent-api|src/client/org.rs|--lib --test=org_alias --test=security_path_segments --test=security_org_env|
rewrite|invent-spec|invent-spec/src/rewrite/*.rs invent-spec/src/rewrite.rs|--lib --test=constructors_hidden --test=generated_fixtures|
'

wanted=()
passthrough=()
for arg in "$@"; do
  case "$arg" in
    --*) passthrough+=("$arg") ;;
    *) wanted+=("$arg") ;;
  esac
done

status=0
ran=()
while IFS='|' read -r group package files targets service; do
  [ -n "$group" ] || continue
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $group "* ]]; then
    continue
  fi
  args=()
  for f in $files; do args+=(-f "$f"); done
  for t in $targets; do args+=("-C=$t"); done
  features=()
  [ "$package" = invent-api ] && features=(--all-features)
  # The one test that rebuilds the crate (minutes) would set every mutant's timeout: the test command runs it.
  test_binary_args=(--skip future_invent_drift_is_learned_and_the_rebuilt_crate_types_the_new_field)
  # The Redis tests are `#[ignore]`d unless asked for; they read the server's URL from the environment.
  if [ "$service" = redis ]; then
    INVENT_TEST_REDIS_URL="$(scripts/redis.sh start)"
    export INVENT_TEST_REDIS_URL
    test_binary_args+=(--include-ignored)
  fi
  echo "== mutants: $group ($package: $files; tests: $targets${service:+; with $service})"
  group_status=0
  cargo mutants --in-place --package "$package" "${features[@]}" "${args[@]}" --timeout-multiplier 3 \
    --output "mutants.out/$group" "${passthrough[@]}" -- -- "${test_binary_args[@]}" || group_status=$?
  if [ "$service" = redis ]; then scripts/redis.sh stop; fi
  # cargo-mutants exits 2 when a mutant is missed, 3 on timeouts: the table says which; 1 and 4 are its errors.
  case "$group_status" in
    0 | 2 | 3) [ "$group_status" -gt "$status" ] && status=$group_status ;;
    *) echo "mutants: cargo-mutants failed on $group (exit $group_status)" >&2; exit "$group_status" ;;
  esac
  ran+=("$group")
done <<< "$GROUPS_TABLE"
[ ${#ran[@]} -gt 0 ] || { echo "mutants: no such group: ${wanted[*]}" >&2; exit 2; }

python3 - "mutants.out" "${ran[@]}" <<'PY'
import collections, os, sys
out, groups = sys.argv[1], sys.argv[2:]

def score(c):
    viable = c["caught"] + c["missed"] + c["timeout"]
    return f"{100 * (c['caught'] + c['timeout']) / viable:.0f} %" if viable else "-"

def row(name, c):
    return f"| {name} | {sum(c.values())} | {c['caught']} | {c['missed']} | {c['unviable']} | {c['timeout']} | {score(c)} |"

print("| file or group | mutants | caught | missed | unviable | timeout | score |")
print("|---|---:|---:|---:|---:|---:|---:|")
total = collections.Counter()
for group in groups:
    rows = collections.defaultdict(collections.Counter)
    for outcome in ("caught", "missed", "unviable", "timeout"):
        path = os.path.join(out, group, "mutants.out", outcome + ".txt")
        if os.path.exists(path):
            for line in open(path):
                if line.strip():
                    rows[line.split(":", 1)[0]][outcome] += 1
    in_group = collections.Counter()
    for name in sorted(rows):
        in_group.update(rows[name])
        print(row(name, rows[name]))
    print(row(f"**{group}**", in_group))
    total.update(in_group)
print(row("**all**", total))
print(f"\nMissed mutants: {out}/<group>/mutants.out/missed.txt")
PY
exit "$status"
