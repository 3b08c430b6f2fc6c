#!/usr/bin/env bash
# Corpus end-to-end check: every OpenAPI spec in the given directories must lower, generate and COMPILE.
#
#   scripts/corpus-check.sh [SPEC_DIR...]
#       default: ../shared/corpus/specs (real-world specs) and invent-spec/tests/specs (regression specs)
#
# For each spec: `invent-spec generate SPEC client.rs` (overrides none), then `cargo build` (debug) of the
# generated module in its own scratch crate. The scratch crates are members of one workspace under
# target/corpus-check/ with one Cargo.lock (seeded from the repository's) and one CARGO_TARGET_DIR, so the
# dependencies compile once; specs are built one after another (a big spec needs up to ~4 GB RSS).
# Writes target/corpus-check/report.md and exits non-zero if any spec fails. Needs network access only
# for the crates registry (nothing if the registry cache is warm).
#
# Environment: CORPUS_FILTER=substring (only matching specs), CARGO (default cargo).
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

for dir in "${SPEC_DIRS[@]}"; do
    if [ ! -d "$dir" ]; then
        echo "corpus-check: no spec directory $dir" >&2
        exit 2
    fi
done

echo "corpus-check: building invent-spec" >&2
(cd "$ROOT" && "$CARGO" build -q -p invent-spec --bin invent-spec) || { echo "corpus-check: invent-spec does not build" >&2; exit 1; }
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/invent-spec"

mkdir -p "$WORK/crates"
export CARGO_TARGET_DIR="$WORK/target"
export CARGO_INCREMENTAL=0

# The scratch workspace: one member per spec (created below), shared lock file and profile.
specs=()
for spec in $(for dir in "${SPEC_DIRS[@]}"; do ls "$dir"/*.json 2>/dev/null; done); do
    [ -e "$spec" ] || continue
    name="$(basename "$spec" .json)"
    if [ -n "$FILTER" ] && [[ "$name" != *"$FILTER"* ]]; then continue; fi
    specs+=("$spec")
done
if [ "${#specs[@]}" -eq 0 ]; then
    echo "corpus-check: no specs in ${SPEC_DIRS[*]}" >&2
    exit 2
fi

crate_name() { # spec file name → cargo package name
    echo "corpus-$(echo "$1" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-' | sed 's/--*/-/g; s/-$//')"
}

{
    echo '[workspace]'
    echo 'resolver = "2"'
    echo 'members = ['
    for spec in "${specs[@]}"; do echo "    \"crates/$(crate_name "$(basename "$spec" .json)")\","; done
    echo ']'
    echo
    echo '[profile.dev]'
    echo 'debug = 0   # only "does it compile" matters; keeps the shared target small'
} > "$WORK/Cargo.toml"
if [ ! -f "$WORK/Cargo.lock" ] && [ -f "$ROOT/Cargo.lock" ]; then
    cp "$ROOT/Cargo.lock" "$WORK/Cargo.lock"   # same versions as the crate itself
fi

write_crate() { # dir package
    mkdir -p "$1/src"
    cat > "$1/Cargo.toml" <<EOF
[package]
name = "$2"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "src/lib.rs"

[dependencies]
progenitor-client = "=0.15.1"
reqwest = { version = "0.13", features = ["json", "query", "stream"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
chrono = { version = "0.4", default-features = false, features = ["serde"] }
uuid = { version = "1", features = ["serde"] }
regress = "0.12"
futures = "0.3"
base64 = "0.22"
rand = "0.9"
EOF
    printf '%s\n' '#![allow(warnings, clippy::all)]' 'include!("client.rs");' > "$1/src/lib.rs"
}

for spec in "${specs[@]}"; do
    name="$(basename "$spec" .json)"
    write_crate "$WORK/crates/$(crate_name "$name")" "$(crate_name "$name")"
done

# Dependencies once (timed separately so per-spec times are the generated code only).
first="$(crate_name "$(basename "${specs[0]}" .json)")"
: > "$WORK/crates/$first/src/client.rs"
echo "corpus-check: compiling dependencies" >&2
dep_start=$(date +%s.%N)
(cd "$WORK" && "$CARGO" build -q -p "$first" 2> "$WORK/deps.log") || { echo "corpus-check: dependencies do not build (see $WORK/deps.log)" >&2; exit 1; }
dep_secs=$(echo "$(date +%s.%N) - $dep_start" | bc)

failures=0
rows=()
for spec in "${specs[@]}"; do
    name="$(basename "$spec" .json)"
    pkg="$(crate_name "$name")"
    dir="$WORK/crates/$pkg"
    log="$WORK/$name.log"
    kept="-"; dropped="-"; resp="-"; rewrites="-"; lines="-"; secs="-"; rss="-"; status="FAIL (generate)"
    gen_start=$(date +%s.%N)
    if "$BIN" generate "$spec" "$dir/src/client.rs" --stats "$WORK/$name.stats.json" --report "$WORK/$name.report.txt" > "$log" 2>&1; then
        gen_secs=$(echo "$(date +%s.%N) - $gen_start" | bc)
        stats="$(cat "$WORK/$name.stats.json")"
        field() { echo "$stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
        kept=$(field operations_kept); dropped=$(field operations_dropped); resp=$(field responses_dropped)
        rewrites=$(field rewrites); lines=$(field lines)
        echo "corpus-check: $name: generated ${lines} lines in ${gen_secs}s, compiling" >&2
        start=$(date +%s.%N)
        if (cd "$WORK" && /usr/bin/time -f "%M" -o "$WORK/$name.rss" "$CARGO" build -q -p "$pkg" >> "$log" 2>&1); then
            status="pass"
        else
            status="FAIL (compile)"
        fi
        secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
        if [ -s "$WORK/$name.rss" ]; then rss=$(awk 'END { printf "%.1f", $1 / 1048576 }' "$WORK/$name.rss"); fi
    fi
    if [ "$status" != "pass" ]; then
        failures=$((failures + 1))
        echo "corpus-check: $name: $status; last lines of $log:" >&2
        tail -n 15 "$log" >&2
    fi
    echo "corpus-check: $name: $status" >&2
    rows+=("| $name | $kept | $dropped | $resp | $rewrites | $lines | $secs | $rss | $status |")
    # The generated lib's artifacts are not needed once it compiled; keep the shared target small.
    rm -rf "$CARGO_TARGET_DIR"/debug/deps/lib"${pkg//-/_}"-* "$CARGO_TARGET_DIR"/debug/.fingerprint/"$pkg"-*
done

{
    echo "# Corpus check"
    echo
    echo "Every spec: \`invent-spec generate\` (lower + progenitor 0.15.1, Builder, merged tags) then \`cargo build\`"
    echo "(debug, debuginfo off; dependencies built first: $(printf '%.0f' "$dep_secs") s, 0 when cached). Spec dirs: \`${SPEC_DIRS[*]}\`."
    echo
    echo "| spec | ops kept | ops dropped | responses dropped | rewrites | generated lines | compile s | peak RSS GB | result |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "$(( ${#specs[@]} - failures )) of ${#specs[@]} specs pass. Per-spec logs, stats and lowering reports: \`target/corpus-check/\`."
} > "$REPORT"
cat "$REPORT"
# The plain closing line test runners' summaries are read for.
echo "corpus-check: $(( ${#specs[@]} - failures )) passed, $failures failed"
[ "$failures" -eq 0 ]
