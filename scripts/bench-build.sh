#!/usr/bin/env bash
# Build-cost benchmark. Prints a table and `RESULT` lines:
#   - the build.rs codegen step (overrides → lowering → progenitor → rewrite → prettyplease, and the
#     extension code; the httpmock helpers only with feature `mock`, so not here), timed by running the crate's compiled build script
#     itself, as cargo runs it, on the vendored openapi.json and on the largest corpus spec;
#   - lines generated for each;
#   - clean, no-op, touch-the-spec, edit-the-spec (info.description; then a schema) and crate-only
#     builds of the crate (`cargo build -p invent-api`, dev profile, default features).
# Everything happens on a snapshot of the workspace under target/bench-build/tree with its own
# CARGO_TARGET_DIR (target/bench-build/target): the spec edit never touches the shared tree and the
# clean build never wipes anyone's target/.
#
# Usage: scripts/bench-build.sh [--no-clean]
#   --no-clean      reuse target/bench-build/target instead of wiping it (skips the clean-build figure)
#   --no-release    skip building invent-spec --release for the standalone `invent-spec generate` rows
#   BENCH_BUILD_RUNS=N    runs of each codegen timing (default 3; the median is reported)
#   BENCH_BUILD_SPEC=PATH the "largest corpus spec" (default ../shared/corpus/specs/svix__svix-webhooks__lib-openapi.json)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/target/bench-build
TREE=$BENCH/tree
export CARGO_TARGET_DIR=$BENCH/target
RUNS=${BENCH_BUILD_RUNS:-3}
BIG_SPEC=${BENCH_BUILD_SPEC:-$ROOT/../shared/corpus/specs/svix__svix-webhooks__lib-openapi.json}
CLEAN=1
RELEASE=1
for arg in "$@"; do
  case $arg in
    --no-clean) CLEAN=0 ;;
    --no-release) RELEASE=0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
build() { (cd "$TREE" && cargo build --quiet -p invent-api 2>"$BENCH/last-build.log") || { cat "$BENCH/last-build.log" >&2; exit 1; }; }
timed_build() { local t0; t0=$(now); build; secs "$t0" "$(now)"; }

echo "# invent-api build cost ($(date -u +%Y-%m-%dT%H:%MZ))"
echo "machine: $(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load:$(uptime | sed 's/.*load average://')"
echo "toolchain: $(rustc --version), $(cargo --version)"

# 1. Snapshot the workspace (sources only).
mkdir -p "$BENCH"
rm -rf "$TREE"
mkdir -p "$TREE"
tar -C "$ROOT" --exclude=./target --exclude=./.git --exclude=./node_modules -cf - . | tar -C "$TREE" -xf -

# 2. Clean build.
if [ "$CLEAN" = 1 ]; then
  rm -rf "$CARGO_TARGET_DIR"
  echo "clean build of invent-api (dev profile) in $CARGO_TARGET_DIR ..."
  CLEAN_S=$(timed_build)
else
  echo "--no-clean: reusing $CARGO_TARGET_DIR"
  build
  CLEAN_S=n/a
fi
NOOP_S=$(timed_build)

# 3. The codegen step: the compiled build script, run as cargo runs it (cwd = package root, OUT_DIR set).
SCRIPT=$(ls -t "$CARGO_TARGET_DIR"/debug/build/invent-api-*/build-script-build 2>/dev/null | head -1)
[ -x "$SCRIPT" ] || { echo "build script binary not found under $CARGO_TARGET_DIR/debug/build" >&2; exit 1; }
codegen() { # $1 = directory holding openapi.json (and maybe spec-overrides.json); prints seconds per run
  local dir=$1 out=$BENCH/out-$(basename "$1") i t0
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$out"; mkdir -p "$out"
    t0=$(now)
    if ! (cd "$dir" && OUT_DIR=$out "$SCRIPT" >"$BENCH/codegen-$(basename "$dir").log" 2>&1); then
      echo "codegen failed in $dir:" >&2; tail -5 "$BENCH/codegen-$(basename "$dir").log" >&2; return 1
    fi
    secs "$t0" "$(now)"; echo
  done
}
# The client is a skeleton (generated.rs) including one file per type or operation (client/**.rs).
client_lines() { local out="$BENCH/out-$(basename "$1")"; { cat "$out/generated.rs"; find "$out/client" -name '*.rs' -exec cat {} +; } | wc -l; }
lines() { local out="$BENCH/out-$(basename "$1")"; echo $(( $(client_lines "$1") + $(cat "$out"/generated_*.rs | wc -l) )); }

VENDORED_S=$(codegen "$TREE" | median)
VENDORED_LINES=$(lines "$TREE"); VENDORED_CLIENT=$(client_lines "$TREE")
VENDORED_OPS=$(jq '[.paths[] | keys[] | select(IN("get","put","post","delete","options","head","patch","trace"))] | length' "$TREE/openapi.json")
VENDORED_KB=$(( $(wc -c <"$TREE/openapi.json") / 1024 ))

BIG=$BENCH/big-spec
rm -rf "$BIG"; mkdir -p "$BIG"
cp "$BIG_SPEC" "$BIG/openapi.json"
if BIG_S=$(codegen "$BIG" | median) && [ "$BIG_S" != n/a ]; then
  BIG_LINES=$(lines "$BIG"); BIG_CLIENT=$(client_lines "$BIG")
else
  BIG_S=failed; BIG_LINES=n/a; BIG_CLIENT=n/a
fi
BIG_OPS=$(jq '[.paths[] | keys[] | select(IN("get","put","post","delete","options","head","patch","trace"))] | length' "$BIG/openapi.json")
BIG_KB=$(( $(wc -c <"$BIG/openapi.json") / 1024 ))

# 3b. For comparison: the standalone `invent-spec generate IN OUT.rs` (client module only) built with
# --release. build.rs runs the same pipeline unoptimised (cargo compiles build dependencies at
# opt-level 0 unless the user's profile has a build-override), so this row shows what that costs.
standalone() { # $1 = spec, $2 = label, then extra options; prints seconds per run
  local i t0 out=$BENCH/standalone-$2.rs
  for ((i = 0; i < RUNS; i++)); do
    t0=$(now)
    "$CARGO_TARGET_DIR/release/invent-spec" generate "$1" "$out" "${@:3}" >/dev/null 2>"$BENCH/standalone.log" || { tail -3 "$BENCH/standalone.log" >&2; return 1; }
    secs "$t0" "$(now)"; echo
  done
}
if [ "$RELEASE" = 1 ] && (cd "$TREE" && cargo build --quiet --release -p invent-spec --bin invent-spec 2>"$BENCH/last-build.log"); then
  OVERRIDES=(); [ -f "$TREE/spec-overrides.json" ] && OVERRIDES=(--overrides "$TREE/spec-overrides.json")
  SA_VENDORED_S=$(standalone "$TREE/openapi.json" vendored "${OVERRIDES[@]}" | median) || SA_VENDORED_S=failed
  SA_BIG_S=$(standalone "$BIG/openapi.json" largest | median) || SA_BIG_S=failed
else
  SA_VENDORED_S=skipped; SA_BIG_S=skipped
fi

# 4. Incremental builds: touch the spec (build script reruns, output unchanged), then edit it, RUNS
# times each: a doc-only edit (info.description: changes doc comments in the generated client) and a
# schema edit (one more optional property on Assistant each time: types, builders and mocks change),
# alternating, so each schema edit follows a doc edit as a developer's would.
touch "$TREE/openapi.json"
TOUCH_S=$(timed_build)
EDITS=(); SCHEMAS=()
for ((i = 1; i <= RUNS; i++)); do
  jq --arg stamp "$(date +%s%N)" '.info.description = ((.info.description // "") + " (bench edit " + $stamp + ")")' \
    "$TREE/openapi.json" >"$TREE/openapi.json.tmp" && mv "$TREE/openapi.json.tmp" "$TREE/openapi.json"
  EDITS+=("$(timed_build)")
  if jq -e '.components.schemas.Assistant.properties' "$TREE/openapi.json" >/dev/null 2>&1; then
    jq --arg name "bench_note_$i" '.components.schemas.Assistant.properties[$name] = {"type": "string", "description": "bench edit"}' \
      "$TREE/openapi.json" >"$TREE/openapi.json.tmp" && mv "$TREE/openapi.json.tmp" "$TREE/openapi.json"
    SCHEMAS+=("$(timed_build)")
  fi
done
NOOP2_S=$(timed_build)
spread() { # "median min max" of the arguments, or "n/a n/a n/a"
  [ "$#" -eq 0 ] && { echo "n/a n/a n/a"; return; }
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %s %s", m, v[1], v[NR] }'
}
read -r EDIT_S EDIT_MIN EDIT_MAX <<<"$(spread "${EDITS[@]}")"
read -r SCHEMA_S SCHEMA_MIN SCHEMA_MAX <<<"$(spread "${SCHEMAS[@]}")"
# The crate alone from scratch, dependencies already built: build script compile + run + lib.
(cd "$TREE" && cargo clean --quiet -p invent-api 2>/dev/null)
CRATE_S=$(timed_build)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "| figure | value |"
echo "|---|---|"
echo "| codegen step, vendored openapi.json (${VENDORED_KB} KiB, ${VENDORED_OPS} operations), median of $RUNS | ${VENDORED_S} s |"
echo "| lines generated, vendored (client / all files) | ${VENDORED_CLIENT} / ${VENDORED_LINES} |"
echo "| codegen step, $(basename "$BIG_SPEC") (${BIG_KB} KiB, ${BIG_OPS} operations), median of $RUNS | ${BIG_S} s |"
echo "| lines generated, largest corpus spec (client / all files) | ${BIG_CLIENT} / ${BIG_LINES} |"
echo "| standalone invent-spec generate (--release), vendored / largest, median of $RUNS | ${SA_VENDORED_S} s / ${SA_BIG_S} s |"
echo "| clean build, cargo build -p invent-api (dev) | ${CLEAN_S} s |"
echo "| no-op rebuild | ${NOOP_S} s |"
echo "| incremental: touch openapi.json | ${TOUCH_S} s |"
echo "| incremental: edit openapi.json info.description, median of $RUNS (min–max) | ${EDIT_S} s (${EDIT_MIN}–${EDIT_MAX}) |"
echo "| incremental: add an optional property to Assistant, median of $RUNS (min–max) | ${SCHEMA_S} s (${SCHEMA_MIN}–${SCHEMA_MAX}) |"
echo "| invent-api alone from scratch (cargo clean -p invent-api; dependencies built) | ${CRATE_S} s |"
echo
echo "RESULT build.codegen_vendored seconds=$VENDORED_S lines_client=$VENDORED_CLIENT lines_all=$VENDORED_LINES operations=$VENDORED_OPS"
echo "RESULT build.codegen_largest seconds=$BIG_S lines_client=$BIG_CLIENT lines_all=$BIG_LINES operations=$BIG_OPS spec=$(basename "$BIG_SPEC")"
echo "RESULT build.standalone_release vendored_s=$SA_VENDORED_S largest_s=$SA_BIG_S"
join() { local IFS=,; echo "$*"; }
echo "RESULT build.crate clean_s=$CLEAN_S noop_s=$NOOP_S touch_s=$TOUCH_S edit_s=$EDIT_S edit_min_s=$EDIT_MIN edit_max_s=$EDIT_MAX edit_all=$(join "${EDITS[@]}") noop_after_edit_s=$NOOP2_S schema_edit_s=$SCHEMA_S schema_edit_min_s=$SCHEMA_MIN schema_edit_max_s=$SCHEMA_MAX schema_edit_all=$(join "${SCHEMAS[@]}") crate_only_s=$CRATE_S goal_schema_edit_s=5"
echo "RESULT build.ratios codegen_share_of_edit_build=$(ratio "$VENDORED_S" "$EDIT_S") codegen_share_of_clean_build=$(ratio "$VENDORED_S" "$CLEAN_S") largest_vs_vendored_codegen=$(ratio "$BIG_S" "$VENDORED_S") build_rs_vs_release_largest=$(ratio "$BIG_S" "$SA_BIG_S")"
