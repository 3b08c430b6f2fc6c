#!/usr/bin/env bash
# Consumer build benchmark: what a new project pays to depend on invent-api.
# Two scratch binary crates, outside the workspace (each its own `[workspace]`), built clean, back to
# back, with `cargo build --timings` (dev profile, default features):
#   invent  — invent-api by path (default features) + tokio (for `#[tokio::main]`)
#   floor   — only reqwest 0.13 (+ json) + serde + serde_json + tokio: the same call written by hand
# Both reuse the workspace's Cargo.lock (same versions, no resolution noise) and build --offline
# when the registry cache has everything. Pairs are interleaved (floor, invent, invent, floor, …) so a
# change in machine load hits both; the ratio invent/floor of each pair is reported, with its median
# and spread, then the per-crate breakdown (from cargo's timing report) of the last pair.
#
# Usage: scripts/bench-consumer.sh
#   BENCH_CONSUMER_RUNS=N   pairs of clean builds (default 3)
#   BENCH_CONSUMER_JOBS=N   cargo -j (default: cargo's default, all CPUs)
#   BENCH_CONSUMER_CRATE=DIR  the invent-api source tree to depend on (default: this checkout; e.g. an
#                             unpacked `git archive` of an older commit, to measure before/after)
# Output: a table, per-crate breakdown and `RESULT consumer.*` lines. Numbers only: nothing asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CRATE=$(cd "${BENCH_CONSUMER_CRATE:-$ROOT}" && pwd)
BENCH=$ROOT/target/bench-consumer
RUNS=${BENCH_CONSUMER_RUNS:-3}
JOBS=()
[ -n "${BENCH_CONSUMER_JOBS:-}" ] && JOBS=(-j "$BENCH_CONSUMER_JOBS")
unset CARGO_TARGET_DIR RUSTFLAGS CARGO_BUILD_RUSTFLAGS

echo "# consumer build benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
echo "machine: $(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load:$(uptime | sed 's/.*load average://')"
echo "toolchain: $(rustc --version), $(cargo --version)"
echo "invent-api from: $CRATE ($(git -C "$CRATE" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout')$(git -C "$CRATE" diff --quiet 2>/dev/null || echo ', uncommitted changes'))"

mkdir -p "$BENCH"
rm -rf "$BENCH/invent" "$BENCH/floor"
mkdir -p "$BENCH/invent/src" "$BENCH/floor/src"

cat >"$BENCH/invent/Cargo.toml" <<EOF
[package]
name = "consumer-invent"
version = "0.1.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
invent-api = { path = "$CRATE" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
EOF
cat >"$BENCH/invent/src/main.rs" <<'EOF'
// One call through the generated client: list the key's assistants.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = invent_api::Client::from_env()?;
    let assistants = client.list_assistants().send().await?.into_inner();
    for assistant in assistants {
        println!("{} {}", assistant.id, assistant.name);
    }
    Ok(())
}
EOF

cat >"$BENCH/floor/Cargo.toml" <<EOF
[package]
name = "consumer-floor"
version = "0.1.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
reqwest = { version = "0.13", features = ["json"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
EOF
cat >"$BENCH/floor/src/main.rs" <<'EOF'
// The same call written by hand against reqwest + serde.
#[derive(Debug, serde::Deserialize)]
struct Assistant {
    id: String,
    name: String,
    #[serde(flatten)]
    _rest: serde_json::Map<String, serde_json::Value>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = std::env::var("INVENT_API_KEY")?;
    let assistants: Vec<Assistant> = reqwest::Client::new()
        .get("https://api.useinvent.com/orgs/c/assistants")
        .bearer_auth(key)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    for assistant in assistants {
        println!("{} {}", assistant.id, assistant.name);
    }
    Ok(())
}
EOF
cp "$CRATE/Cargo.lock" "$BENCH/invent/Cargo.lock"
cp "$CRATE/Cargo.lock" "$BENCH/floor/Cargo.lock"

# Resolve once (offline if the registry cache has everything), so the timed builds only compile.
for c in invent floor; do
  (cd "$BENCH/$c" && { cargo fetch --offline >/dev/null 2>&1 || cargo fetch >/dev/null; })
done
OFFLINE=(--offline)
(cd "$BENCH/floor" && cargo metadata --offline --format-version 1 >/dev/null 2>&1) || OFFLINE=()

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
clean_build() { # $1 = crate dir name; prints "wall_s cpu_s" (cpu = user + sys of cargo and every
  # compiler it ran: the figure other load on the machine disturbs least); leaves the timing report in
  # $BENCH/$1.timing.html
  local dir=$BENCH/$1
  rm -rf "$dir/target"
  (cd "$dir" && /usr/bin/time -f '%e %U %S' -o "$BENCH/$1.time" cargo build "${OFFLINE[@]}" "${JOBS[@]}" --timings >"$BENCH/$1.log" 2>&1) \
    || { tail -20 "$BENCH/$1.log" >&2; exit 1; }
  cp "$(ls -t "$dir"/target/cargo-timings/cargo-timing-*.html | head -1)" "$BENCH/$1.timing.html"
  awk '{ printf "%.1f %.1f", $1, $2 + $3 }' "$BENCH/$1.time"
}

FLOOR=(); INVENT=(); RATIOS=(); FLOOR_CPU=(); INVENT_CPU=(); CPU_RATIOS=()
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for ((i = 1; i <= RUNS; i++)); do
  # Alternate the order (ABBA), so a slow drift of the load does not favour one side.
  if ((i % 2)); then read -r f fc <<<"$(clean_build floor)"; read -r v vc <<<"$(clean_build invent)"
  else read -r v vc <<<"$(clean_build invent)"; read -r f fc <<<"$(clean_build floor)"; fi
  FLOOR+=("$f"); INVENT+=("$v"); RATIOS+=("$(ratio "$v" "$f")")
  FLOOR_CPU+=("$fc"); INVENT_CPU+=("$vc"); CPU_RATIOS+=("$(ratio "$vc" "$fc")")
  echo "pair $i: floor ${f} s (cpu ${fc} s), invent ${v} s (cpu ${vc} s), ratio ${RATIOS[-1]} (cpu ${CPU_RATIOS[-1]})  (load:$(uptime | sed 's/.*load average://'))"
done

stats() { # median min max of the arguments
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s %s", m, v[1], v[NR] }'
}
read -r FM FMIN FMAX <<<"$(stats "${FLOOR[@]}")"
read -r VM VMIN VMAX <<<"$(stats "${INVENT[@]}")"
read -r RM RMIN RMAX <<<"$(stats "${RATIOS[@]}")"
read -r FCM FCMIN FCMAX <<<"$(stats "${FLOOR_CPU[@]}")"
read -r VCM VCMIN VCMAX <<<"$(stats "${INVENT_CPU[@]}")"
read -r RCM RCMIN RCMAX <<<"$(stats "${CPU_RATIOS[@]}")"

# Per-crate breakdown of the last pair, from cargo's timing report (UNIT_DATA in the HTML).
python3 - "$BENCH/floor.timing.html" "$BENCH/invent.timing.html" <<'PY'
import json, re, sys
from collections import defaultdict

def units(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"const UNIT_DATA = (\[.*?\]);\n", text, re.S)
    data = json.loads(m.group(1)) if m else []
    total = re.search(r"<td>Total time:</td><td>([0-9.]+)s", text)
    out = []
    for u in data:
        target = u.get("target", "").strip()
        kind = "build script (run)" if "run-custom-build" in target or u.get("mode") == "run-custom-build" else \
               "build script" if "build script" in target else ("host" if u.get("mode") == "build" and "proc-macro" in target else "")
        out.append({"name": u["name"], "version": u["version"], "target": target or "lib",
                    "duration": float(u["duration"]), "kind": kind})
    return out, float(total.group(1)) if total else None

floor, floor_total = units(sys.argv[1])
invent, invent_total = units(sys.argv[2])

def by_crate(us):
    d = defaultdict(float)
    for u in us:
        d[u["name"]] += u["duration"]
    return d

fc, ic = by_crate(floor), by_crate(invent)
print()
print("Per-crate compile time (sum of cargo --timings unit durations, seconds; last pair):")
print(f"  floor:  {len(floor)} units, sum {sum(fc.values()):.1f} s, cargo total {floor_total} s")
print(f"  invent: {len(invent)} units, sum {sum(ic.values()):.1f} s, cargo total {invent_total} s")
print()
print("| crate (units only in the invent build, or slower there) | invent s | floor s | extra s |")
print("|---|---|---|---|")
rows = sorted(((ic[k] - fc.get(k, 0.0), k) for k in ic), reverse=True)
extra_total = 0.0
for extra, k in rows:
    if extra < 0.3:
        continue
    extra_total += extra
    print(f"| {k} | {ic[k]:.1f} | {fc.get(k, 0.0):.1f} | {extra:.1f} |")
print(f"| **total extra (rows above)** | | | {extra_total:.1f} |")

# Crates compiled more than once (host for build scripts / proc macros, and target).
names = defaultdict(list)
for u in invent:
    if u["kind"] in ("build script (run)",):
        continue
    names[(u["name"], u["version"])].append(u)
libs = lambda v: [u for u in v if "build-script" not in u["target"]]
twice = [(k, v) for k, v in names.items() if len(libs(v)) > 1]
print()
if twice:
    print("Compiled more than once in the invent build (host and target copies):")
    for (n, ver), v in sorted(twice):
        print(f"  {n} {ver}: " + ", ".join(f"{u['duration']:.1f}s" for u in libs(v)))
else:
    print("Compiled more than once in the invent build: none")
slow = sorted(invent, key=lambda u: -u["duration"])[:12]
print()
print("Slowest units of the invent build:")
for u in slow:
    print(f"  {u['duration']:6.1f} s  {u['name']} {u['version']} ({u['target']})")
print()
print(f"RESULT consumer.twice crates={len(twice)} extra_s={sum(min(u['duration'] for u in libs(v)) for _, v in twice):.1f} names=" + ",".join(n for (n, _), _ in sorted(twice)))
print(f"RESULT consumer.units floor_units={len(floor)} invent_units={len(invent)} floor_unit_sum_s={sum(fc.values()):.1f} invent_unit_sum_s={sum(ic.values()):.1f} unit_sum_ratio={sum(ic.values()) / max(sum(fc.values()), 1e-9):.2f} compiled_twice={len(twice)}")
PY

echo
echo "| build (clean, dev, --timings), ${RUNS} runs | wall median s | wall min–max s | CPU median s | CPU min–max s |"
echo "|---|---|---|---|---|"
echo "| floor: reqwest + serde + serde_json + tokio | $FM | $FMIN–$FMAX | $FCM | $FCMIN–$FCMAX |"
echo "| invent-api (default features) + tokio | $VM | $VMIN–$VMAX | $VCM | $VCMIN–$VCMAX |"
echo "| ratio invent / floor (per pair) | $RM | $RMIN–$RMAX | $RCM | $RCMIN–$RCMAX |"
echo
join() { local IFS=,; echo "$*"; }
echo "RESULT consumer.floor wall_s_median=$FM wall_s_min=$FMIN wall_s_max=$FMAX cpu_s_median=$FCM cpu_s_min=$FCMIN cpu_s_max=$FCMAX runs=$RUNS wall_all=$(join "${FLOOR[@]}") cpu_all=$(join "${FLOOR_CPU[@]}")"
echo "RESULT consumer.invent wall_s_median=$VM wall_s_min=$VMIN wall_s_max=$VMAX cpu_s_median=$VCM cpu_s_min=$VCMIN cpu_s_max=$VCMAX runs=$RUNS wall_all=$(join "${INVENT[@]}") cpu_all=$(join "${INVENT_CPU[@]}")"
echo "RESULT consumer.ratio wall_median=$RM wall_min=$RMIN wall_max=$RMAX cpu_median=$RCM cpu_min=$RCMIN cpu_max=$RCMAX wall_all=$(join "${RATIOS[@]}") cpu_all=$(join "${CPU_RATIOS[@]}") goal=1.5"
