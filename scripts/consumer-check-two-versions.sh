#!/usr/bin/env bash
# Coexistence (beside scripts/consumer-check.sh): two semver-incompatible releases of invent-api in one
# build, as when two dependencies of a program pick different releases. Packages invent-spec and
# invent-api, unpacks invent-api twice OUTSIDE the workspace (as 0.1.x, and again with its version set to
# 0.2.0), and builds a binary crate that depends on both under two names (`invent_api_01`,
# `invent_api_02`) and runs it (scripts/consumer-check/two_versions.rs: both clients call a loopback
# server it starts). Cargo refuses such a graph when the package declares `links`, and two exact
# pins of a shared dependency (`progenitor-client = "=…"`) could not resolve either; both are gone.
#
# Builds go to CARGO_TARGET_DIR (default: the workspace's target/). CONSUMER_CHECK_KEEP=1 keeps the
# scratch directory (its path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

say() { printf 'consumer-check-two-versions: %s\n' "$*"; }

SCRATCH="${TMPDIR:-/tmp}/invent-two-versions-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)"
case "$SCRATCH/" in "$ROOT"/*) say "scratch directory $SCRATCH is inside the workspace"; exit 2 ;; esac
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
[ "${CONSUMER_CHECK_KEEP:-}" = 1 ] && say "scratch: $SCRATCH" || trap 'rm -rf "$SCRATCH"' EXIT

say "cargo package -p invent-spec -p invent-api"
cargo package -p invent-spec -p invent-api --no-verify --allow-dirty --locked 2>&1 \
  | grep -v '^warning: ignoring .* is not included in the published package$' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { say "cargo package failed"; exit 1; }

version_of() {
  cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == sys.argv[1]))' "$1"
}
SPEC_VERSION="$(version_of invent-spec)"
API_VERSION="$(version_of invent-api)"
tar -xzf "$CARGO_TARGET_DIR/package/invent-spec-$SPEC_VERSION.crate" -C "$SCRATCH"
mkdir -p "$SCRATCH/v1" "$SCRATCH/v2"
tar -xzf "$CARGO_TARGET_DIR/package/invent-api-$API_VERSION.crate" -C "$SCRATCH/v1"
tar -xzf "$CARGO_TARGET_DIR/package/invent-api-$API_VERSION.crate" -C "$SCRATCH/v2"
SPEC_DIR="$SCRATCH/invent-spec-$SPEC_VERSION"
V1="$SCRATCH/v1/invent-api-$API_VERSION"
V2="$SCRATCH/v2/invent-api-$API_VERSION"

# The second copy becomes 0.2.0 (same build metadata: the spec revision).
case "$API_VERSION" in 0.1.*) ;; *) say "expected invent-api 0.1.x, found $API_VERSION: update this script"; exit 1 ;; esac
NEW_VERSION="0.2.0${API_VERSION#"${API_VERSION%%+*}"}"
python3 - "$V2/Cargo.toml" "$API_VERSION" "$NEW_VERSION" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
line = 'version = "%s"' % old
if text.count(line) != 1:
    sys.exit("consumer-check-two-versions: %s has %d lines %r" % (path, text.count(line), line))
open(path, "w").write(text.replace(line, 'version = "%s"' % new))
PY
grep -q '^links' "$V1/Cargo.toml" && { say "the packaged invent-api declares links: two versions cannot coexist"; exit 1; }
say "invent-api $API_VERSION and $NEW_VERSION unpacked in $SCRATCH"

APP="$SCRATCH/app"
mkdir -p "$APP/src"
cp "$ROOT/scripts/consumer-check/two_versions.rs" "$APP/src/main.rs"
cp "$V1/Cargo.lock" "$APP/Cargo.lock"
cat > "$APP/Cargo.toml" <<TOML
[package]
name = "invent-two-versions"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
invent_api_01 = { package = "invent-api", path = "$V1" }
invent_api_02 = { package = "invent-api", path = "$V2" }
tokio = { version = "1", features = ["macros", "rt-multi-thread", "net", "io-util"] }

# invent-spec is a registry build-dependency of the package; use the unpacked one.
[patch.crates-io]
invent-spec = { path = "$SPEC_DIR" }

[workspace]
TOML

say "build the consumer crate (both releases, default features)"
cargo build --quiet --manifest-path "$APP/Cargo.toml"
tree="$(cargo tree --manifest-path "$APP/Cargo.toml" --depth 1 --prefix none)"
for v in "$API_VERSION" "$NEW_VERSION"; do
  printf '%s\n' "$tree" | grep -q "^invent-api v$v " || { say "invent-api v$v is not in the build:"; printf '%s\n' "$tree"; exit 1; }
done
say "run it against its own loopback server"
"$CARGO_TARGET_DIR/debug/invent-two-versions"
