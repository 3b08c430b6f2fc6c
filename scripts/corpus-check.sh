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
# Fails closed: output it cannot read is a failure with the reason printed — cargo's messages without
# their closing `build-finished` line, a lowering report without its `dropped:` counts line (or a count
# that is not a number), a spec whose build left no lowering report, a helper step that crashed.
# Warnings are counted from cargo's JSON messages (every `warning` diagnostic of invent-api), not from a
# summary line whose absence would read as zero.
#
#   scripts/corpus-check.sh --self-test
#       runs the judging of one spec on synthetic builds (a good one, a report without `dropped:`,
#       messages cut short, a warning, no report) and fails if any is judged wrongly; no cargo build.
#
# Environment: CORPUS_FILTER=substring (only matching specs), CORPUS_ALLOW=file (default
# invent-spec/tests/corpus-allow.json), CORPUS_FAIL_ON_DROPPED_RESPONSES=1, CARGO (default cargo).
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF_TEST=""
if [ "${1:-}" = "--self-test" ]; then
    SELF_TEST=1
    set -- "$ROOT/invent-spec/tests/specs"
fi
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
import json, re, sys

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
    """The counts line of a lowering report: operations parameters responses properties kept rewrites.
    Exits non-zero with the reason when the line or one of its numbers is missing."""
    keys = ("operations", "parameters", "responses", "properties", "kept", "rewrites")
    for line in open(report, encoding="utf-8"):
        if line.startswith("dropped:"):
            fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
            bad = [k for k in keys if not fields.get(k, "").isdigit()]
            if bad:
                sys.exit(f"the `dropped:` line of {report} lacks a number for {', '.join(bad)}: {line.strip()}")
            print(" ".join(fields[k] for k in keys))
            return
    sys.exit(f"no `dropped:` counts line in {report}")

def warnings(messages):
    """invent-api's warnings in cargo's JSON messages (`--message-format=json`); their rendered text
    goes to stderr. Exits non-zero when the messages lack `build-finished` (cut short, not cargo's)."""
    finished, n = False, 0
    for line in open(messages, encoding="utf-8", errors="replace"):
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("reason") == "build-finished":
            finished = True
        elif m.get("reason") == "compiler-message" and m.get("message", {}).get("level") == "warning" \
                and "invent-api" in m.get("package_id", "") and "/invent-spec" not in m.get("package_id", ""):
            text = m["message"].get("message", "")
            # rustc's closing "N warnings emitted" is a count, not a warning.
            if not re.fullmatch(r"\d+ warnings? emitted", text):
                n += 1
                sys.stderr.write(m["message"].get("rendered") or text + "\n")
    if not finished:
        sys.exit(f"no `build-finished` message in {messages}: cargo's output is cut short or not JSON")
    print(n)

def diagnostics(messages):
    """The rendered errors and warnings in cargo's JSON messages, for the log."""
    for line in open(messages, encoding="utf-8", errors="replace"):
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("reason") == "compiler-message":
            sys.stdout.write(m.get("message", {}).get("rendered") or "")

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

{"out_dir": out_dir, "counts": counts, "check": check, "warnings": warnings,
 "diagnostics": diagnostics}[sys.argv[1]](*sys.argv[2:])
PY
}
# The allow-list must parse before anything is built.
helper check "$ALLOW" "" 0 0 0 0 0 >/dev/null || { echo "corpus-check: $ALLOW is not valid JSON" >&2; exit 2; }

# Seconds since `$1` (a `date +%s%N` reading), one decimal: bash and awk only (no `bc` on a bare machine).
since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
# Peak RSS through GNU time when the machine has it (Debian package `time`); else the column says "-".
TIME=()
if [ -x /usr/bin/time ]; then TIME=(/usr/bin/time -f "%M" -o); fi

# Judges one spec's build: sets status, problems and the table's columns from cargo's JSON messages
# ($3), the build's exit status ($2) and the lowering report in the build script's OUT_DIR. Anything
# it cannot read is a failure with the reason in `problems`.
judge() {
    local name="$1" built="$2" messages="$3" log="$4" out counted n
    ops="-"; params="-"; resps="-"; props="-"; kept="-"; rewrites="-"; lines="-"; warnings="-"
    problems=()
    helper diagnostics "$messages" >> "$log" 2>&1 || true
    if ! out="$(helper out_dir "$messages" 2>> "$log")"; then
        status="FAIL (unreadable)"
        problems+=("could not read cargo's messages $messages (see $log)")
        return
    fi
    if [ -z "$out" ] || [ ! -f "$out/lowering-report.txt" ]; then
        status="FAIL (generate)"
        problems+=("the build left no lowering report (build.rs did not run to the end)")
        return
    fi
    cp "$out/lowering-report.txt" "$WORK/$name.report.txt"
    if ! counted="$(helper counts "$out/lowering-report.txt" 2>&1)"; then
        status="FAIL (unreadable)"
        problems+=("$counted")
        return
    fi
    read -r ops params resps props kept rewrites <<< "$counted"
    # The client is a skeleton (generated.rs) plus one file per type or operation under client/.
    lines=$({ cat "$out/generated.rs"; find "$out/client" -name '*.rs' -exec cat {} + 2>/dev/null; } | wc -l)
    if [ "$built" -ne 0 ]; then
        status="FAIL (compile)"
        return
    fi
    status="pass"
    if ! counted="$(helper warnings "$messages" 2>> "$log")"; then
        status="FAIL (unreadable)"
        problems+=("$(tail -n 1 "$log")")
        return
    fi
    warnings="$counted"
    if [ "$warnings" -gt 0 ]; then
        status="FAIL (warnings)"
        problems+=("$warnings compiler warnings in invent-api (see $log)")
    fi
    if [ "$kept" = "0" ]; then
        problems+=("no operation left (dropped: $ops)")
    fi
    if ! counted="$(helper check "$ALLOW" "$name" "$ops" "$params" "$resps" "$props" "${CORPUS_FAIL_ON_DROPPED_RESPONSES:-0}" 2>&1)"; then
        status="FAIL (unreadable)"
        problems+=("the allow-list check crashed: $(printf '%s' "$counted" | tail -n 1)")
        return
    fi
    while IFS= read -r n; do
        [ -n "$n" ] && problems+=("$n")
    done <<< "$counted"
    if [ "$status" = "pass" ] && [ "${#problems[@]}" -gt 0 ]; then status="FAIL (dropped)"; fi
}

# --self-test: `judge` on synthetic builds, each with the status it must get.
self_test() {
    local dir="$WORK/self-test" wrong=0 case expect
    rm -rf "$dir"
    mkdir -p "$dir"
    # $1 case name, $2 report text (or "-" for none), $3 "finished" or "cut", $4 warnings, $5 expected status
    fake() {
        local out="$dir/$1/out"
        mkdir -p "$out/client"
        echo "// generated" > "$out/generated.rs"
        if [ "$2" != "-" ]; then printf '%s\n' "$2" > "$out/lowering-report.txt"; fi
        {
            printf '{"reason":"build-script-executed","package_id":"path+file:///x/invent-api#0.1.0","out_dir":"%s"}\n' "$out"
            for _ in $(seq "$4"); do
                printf '%s\n' '{"reason":"compiler-message","package_id":"path+file:///x/invent-api#0.1.0","message":{"level":"warning","message":"unused variable: `x`","rendered":"warning: unused variable: `x`\n"}}'
            done
            if [ "$4" -gt 0 ]; then
                printf '%s\n' '{"reason":"compiler-message","package_id":"path+file:///x/invent-api#0.1.0","message":{"level":"warning","message":"1 warning emitted","rendered":"warning: 1 warning emitted\n"}}'
            fi
            if [ "$3" = finished ]; then printf '%s\n' '{"reason":"build-finished","success":true}'; fi
        } > "$dir/$1.json"
        : > "$dir/$1.log"
        judge "self-test-$1" 0 "$dir/$1.json" "$dir/$1.log" 2>/dev/null
        if [ "$status" = "$5" ]; then
            echo "corpus-check self-test: $1: $status (${problems[*]:-no problem})"
        else
            echo "corpus-check self-test: $1: judged \"$status\", expected \"$5\" (${problems[*]:-no problem})" >&2
            wrong=$((wrong + 1))
        fi
    }
    local good="dropped: operations=0 parameters=0 responses=0 properties=0 kept=3 rewrites=7"
    fake good "$good" finished 0 "pass"
    fake no-dropped-line "lowered: 3 operations; nothing dropped" finished 0 "FAIL (unreadable)"
    fake dropped-line-without-numbers "dropped: operations=0 parameters=? kept=3" finished 0 "FAIL (unreadable)"
    fake messages-cut-short "$good" cut 0 "FAIL (unreadable)"
    fake one-warning "$good" finished 1 "FAIL (warnings)"
    fake no-report - finished 0 "FAIL (generate)"
    fake drops-unexplained "dropped: operations=2 parameters=0 responses=0 properties=0 kept=3 rewrites=7" finished 0 "FAIL (dropped)"
    rm -rf "$dir"
    if [ "$wrong" -gt 0 ]; then
        echo "corpus-check self-test: $wrong of 7 cases judged wrongly" >&2
        return 1
    fi
    echo "corpus-check self-test: 7 of 7 cases judged as expected"
}
if [ -n "$SELF_TEST" ]; then
    mkdir -p "$WORK"
    self_test
    exit
fi

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
        "$CARGO" build -p invent-api --lib --message-format=json > "$messages" 2> "$log")
    built=$?
    secs=$(since "$start")
    if [ -s "$WORK/$name.rss" ]; then rss=$(awk 'END { printf "%.1f", $1 / 1048576 }' "$WORK/$name.rss"); fi
    judge "$name" "$built" "$messages" "$log"
    if [ "$status" != "pass" ]; then
        failures=$((failures + 1))
        for p in "${problems[@]}"; do echo "corpus-check: $name: $p" >&2; done
        if [ "$status" = "FAIL (warnings)" ]; then
            grep -A 6 '^warning' "$log" | head -n 40 >&2
        elif [ "$status" = "FAIL (unreadable)" ]; then
            :
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
