#!/usr/bin/env bash
# Corpus end-to-end check: the invent-api library itself must build from every OpenAPI spec in the given
# directories, and the lowering may drop nothing the allow-list does not explain.
#
#   scripts/corpus-check.sh [SPEC_DIR...]
#       default: ../shared/corpus/specs (real-world specs) and invent-spec/tests/specs (regression specs)
#
# For each spec: `INVENT_API_SPEC=SPEC cargo build -p invent-api --lib` (default features; build.rs lowers
# and generates from that spec, with no overrides), in one dedicated CARGO_TARGET_DIR
# (target/corpus-check/target) so the dependencies compile once, specs one after another (a big spec
# needs up to ~4 GB RSS). The lowering report build.rs writes (OUT_DIR/lowering-report.txt) gives the
# counts of dropped operations, parameters, responses and properties.
#
# A spec fails when: the library does not build (generation or compilation), it builds with warnings
# (generated code or a hand-written item no operation of that spec uses), no operation is left, or
# something is dropped that its entry in the allow-list does not explain: operations, parameters and
# properties always; responses only when the allow-list sets "fail_on_dropped_responses": true (or
# CORPUS_FAIL_ON_DROPPED_RESPONSES=1). An entry gives the exact counts it allows and why, e.g.
#     "specs": {"some-spec": {"parameters": 2, "why": "free-form deepObject maps: keys not declared"}}
# and fails too when it allows more than is dropped (a stale entry). Every spec directory must hold at
# least one spec.
#
# Writes target/corpus-check/report.md and exits non-zero if any spec fails (2: bad arguments, a spec
# directory missing or empty). Needs python3 (reads cargo's JSON messages and the allow-list).
#
# Environment: CORPUS_FILTER=substring (only matching specs), CORPUS_ALLOW=file (default
# invent-spec/tests/corpus-allow.json), CORPUS_FAIL_ON_DROPPED_RESPONSES=1, CARGO (default cargo).
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$#" -gt 0 ]; then
    SPEC_DIRS=("$@")
else
    SPEC_DIRS=("$ROOT/../shared/corpus/specs" "$ROOT/invent-spec/tests/specs")
fi
CARGO="${CARGO:-cargo}"
WORK="$ROOT/target/corpus-check"
REPORT="$WORK/report.md"
FILTER="${CORPUS_FILTER:-}"
ALLOW="${CORPUS_ALLOW:-$ROOT/invent-spec/tests/corpus-allow.json}"

command -v python3 >/dev/null || { echo "corpus-check: python3 is needed" >&2; exit 2; }
[ -f "$ALLOW" ] || { echo "corpus-check: no allow-list at $ALLOW" >&2; exit 2; }

specs=()
for dir in "${SPEC_DIRS[@]}"; do
    if [ ! -d "$dir" ]; then
        echo "corpus-check: no spec directory $dir (for ../shared: ln -sfn /path/to/shared ../shared)" >&2
        exit 2
    fi
    found=0
    for spec in "$dir"/*.json; do
        [ -e "$spec" ] || continue
        found=$((found + 1))
        name="$(basename "$spec" .json)"
        if [ -n "$FILTER" ] && [[ "$name" != *"$FILTER"* ]]; then continue; fi
        specs+=("$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")")
    done
    if [ "$found" -eq 0 ]; then
        echo "corpus-check: no specs (*.json) in $dir: an empty corpus checks nothing" >&2
        exit 2
    fi
done
if [ "${#specs[@]}" -eq 0 ]; then
    echo "corpus-check: no spec matches CORPUS_FILTER=$FILTER" >&2
    exit 2
fi

mkdir -p "$WORK"
export CARGO_TARGET_DIR="$WORK/target"
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=0   # only "does it build" matters; keeps the dedicated target small
unset INVENT_API_OVERRIDES          # a foreign spec gets no overrides

# Allow-list decisions and cargo's JSON messages, in one helper (python3, standard library only).
helper() {
    python3 - "$@" <<'PY'
import json, sys

def out_dir(messages):
    """OUT_DIR of invent-api's build script in this build, or nothing if it did not run to the end."""
    for line in open(messages, encoding="utf-8", errors="replace"):
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("reason") == "build-script-executed" and "invent-api" in m.get("package_id", "") \
                and "/invent-spec" not in m.get("package_id", ""):
            print(m.get("out_dir", ""))
            return

def counts(report):
    """The counts line of a lowering report: operations parameters responses properties kept rewrites."""
    for line in open(report, encoding="utf-8"):
        if line.startswith("dropped:"):
            fields = dict(f.split("=", 1) for f in line.split()[1:])
            print(" ".join(fields.get(k, "?") for k in
                           ("operations", "parameters", "responses", "properties", "kept", "rewrites")))
            return
    print("? ? ? ? ? ?")

def check(allow_path, name, ops, params, resps, props, fail_resps_env):
    """Prints one line per problem with the drops of spec `name` (none: all explained)."""
    allow = json.load(open(allow_path, encoding="utf-8"))
    fail_resps = allow.get("fail_on_dropped_responses", False) or fail_resps_env == "1"
    entry = allow.get("specs", {}).get(name, {})
    dropped = {"operations": int(ops), "parameters": int(params), "properties": int(props)}
    if fail_resps:
        dropped["responses"] = int(resps)
    for kind, n in dropped.items():
        allowed = entry.get(kind, 0)
        if n > allowed:
            print(f"{n} {kind} dropped, the allow-list explains {allowed}")
        elif n < allowed:
            print(f"stale allow-list entry: it allows {allowed} {kind}, {n} dropped; lower it")
    if any(entry.get(k, 0) for k in dropped) and not str(entry.get("why", "")).strip():
        print("the allow-list entry does not say why")

{"out_dir": out_dir, "counts": counts, "check": check}[sys.argv[1]](*sys.argv[2:])
PY
}
# The allow-list must parse before anything is built.
helper check "$ALLOW" "" 0 0 0 0 0 >/dev/null || { echo "corpus-check: $ALLOW is not valid JSON" >&2; exit 2; }

# Seconds since `$1` (a `date +%s%N` reading), one decimal: bash and awk only (no `bc` on a bare machine).
since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
# Peak RSS through GNU time when the machine has it (Debian package `time`); else the column says "-".
TIME=()
if [ -x /usr/bin/time ]; then TIME=(/usr/bin/time -f "%M" -o); fi

# Dependencies once, and the crate from its own spec (timed separately: per-spec times are the crate only).
echo "corpus-check: building invent-api from openapi.json (dependencies into $CARGO_TARGET_DIR)" >&2
dep_start=$(date +%s%N)
(cd "$ROOT" && env -u INVENT_API_SPEC "$CARGO" build -q -p invent-api --lib 2> "$WORK/deps.log") \
    || { echo "corpus-check: invent-api does not build from openapi.json (see $WORK/deps.log)" >&2; tail -n 20 "$WORK/deps.log" >&2; exit 1; }
dep_secs=$(since "$dep_start")

failures=0
rows=()
for spec in "${specs[@]}"; do
    name="$(basename "$spec" .json)"
    log="$WORK/$name.log"
    messages="$WORK/$name.messages.json"
    ops="-"; params="-"; resps="-"; props="-"; kept="-"; rewrites="-"; lines="-"; secs="-"; rss="-"; warnings="-"
    echo "corpus-check: $name: building invent-api from it" >&2
    start=$(date +%s%N)
    rm -f "$WORK/$name.rss"
    (cd "$ROOT" && INVENT_API_SPEC="$spec" ${TIME[@]+"${TIME[@]}" "$WORK/$name.rss"} \
        "$CARGO" build -p invent-api --lib --message-format=json-render-diagnostics > "$messages" 2> "$log")
    built=$?
    secs=$(since "$start")
    if [ -s "$WORK/$name.rss" ]; then rss=$(awk 'END { printf "%.1f", $1 / 1048576 }' "$WORK/$name.rss"); fi
    out="$(helper out_dir "$messages")"
    problems=()
    if [ -n "$out" ] && [ -f "$out/lowering-report.txt" ]; then
        cp "$out/lowering-report.txt" "$WORK/$name.report.txt"
        read -r ops params resps props kept rewrites <<< "$(helper counts "$out/lowering-report.txt")"
        # The client is a skeleton (generated.rs) plus one file per type or operation under client/.
        lines=$({ cat "$out/generated.rs"; find "$out/client" -name '*.rs' -exec cat {} + 2>/dev/null; } | wc -l)
        if [ "$built" -eq 0 ]; then status="pass"; else status="FAIL (compile)"; fi
        # cargo's own count for the library ("`invent-api` (lib) generated N warnings"); none: 0.
        warnings=$(grep -oE '`invent-api` \(lib\) generated [0-9]+ warning' "$log" | grep -oE '[0-9]+' | head -n 1)
        warnings=${warnings:-0}
        if [ "$status" = "pass" ] && [ "$warnings" -gt 0 ]; then
            status="FAIL (warnings)"
            problems+=("$warnings compiler warnings in invent-api (see $log)")
        fi
        if [ "$kept" = "0" ]; then
            problems+=("no operation left (dropped: $ops)")
        fi
        while IFS= read -r p; do
            [ -n "$p" ] && problems+=("$p")
        done < <(helper check "$ALLOW" "$name" "$ops" "$params" "$resps" "$props" "${CORPUS_FAIL_ON_DROPPED_RESPONSES:-0}")
        if [ "$status" = "pass" ] && [ "${#problems[@]}" -gt 0 ]; then status="FAIL (dropped)"; fi
    else
        status="FAIL (generate)"
    fi
    if [ "$status" != "pass" ]; then
        failures=$((failures + 1))
        for p in "${problems[@]}"; do echo "corpus-check: $name: $p" >&2; done
        if [ "$status" = "FAIL (warnings)" ]; then
            grep -A 6 '^warning' "$log" | head -n 40 >&2
        elif [ "$status" != "FAIL (dropped)" ]; then
            echo "corpus-check: $name: $status; last lines of $log:" >&2
            tail -n 15 "$log" >&2
        else
            echo "corpus-check: $name: what was dropped: grep -E 'dropped' $WORK/$name.report.txt" >&2
        fi
    fi
    echo "corpus-check: $name: $status" >&2
    rows+=("| $name | $kept | $ops | $params | $resps | $props | $rewrites | $lines | $warnings | $secs | $rss | $status |")
done

{
    echo "# Corpus check"
    echo
    echo "Every spec: \`INVENT_API_SPEC=SPEC cargo build -p invent-api --lib\` (build.rs: lower + progenitor 0.15.1,"
    echo "Builder, merged tags; debug, debuginfo off). Dependencies and the crate from openapi.json built first:"
    echo "$(printf '%.0f' "$dep_secs") s (0 when cached). Spec dirs: \`${SPEC_DIRS[*]}\`. Allow-list: \`${ALLOW#"$ROOT"/}\`."
    echo
    echo "| spec | ops kept | ops dropped | params dropped | responses dropped | properties dropped | rewrites | generated lines | warnings | build s | peak RSS GB | result |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "$(( ${#specs[@]} - failures )) of ${#specs[@]} specs pass. Per-spec logs and lowering reports: \`target/corpus-check/\`."
} > "$REPORT"
cat "$REPORT"
# The plain closing line test runners' summaries are read for.
echo "corpus-check: $(( ${#specs[@]} - failures )) passed, $failures failed"
[ "$failures" -eq 0 ]
