#!/usr/bin/env bash
# The build a user gets: package the workspace's crates (`cargo package --workspace`: invent-spec,
# invent-api, invent-cli, in dependency order), unpack the .crate files into a scratch directory OUTSIDE the
# workspace, and there
#   1. build the packaged invent-cli (`invent`) on its own, its invent-api and invent-spec patched to the
#      unpacked packages: its build script lowers the spec copy packaged with it, as it would from
#      crates.io;
#   2. create a binary crate that depends on the unpacked invent-api by path (default features; a
#      [patch] points invent-spec, a registry build-dependency of the package, at the unpacked one, so
#      no registry copy is needed), build it and run it (scripts/consumer-check/main.rs): it starts a
#      loopback HTTP server and asserts that calls through the packaged client decode, that a 404 keeps
#      its body, that SPEC_SHA256 is the packaged openapi.json's digest, and that the packaged `invent`
#      lists assistants from the same server;
#   3. scripts/consumer-check-two-versions.sh: two semver-incompatible releases of the packaged
#      invent-api in one build (no `links`, no exact pin of a shared dependency).
# Why not `cargo package`'s own verification: it serves the packages from a temporary registry that cargo
# treats like crates.io, so an `invent-spec 0.1.0` already extracted (~/.cargo/registry/src) or already
# compiled (target/) is reused after the workspace's sources changed, and a repeated local run verifies
# stale code. Path dependencies are fingerprinted by their files, so these builds always see the package.
# Nothing is read from the workspace but the .crate files and the program. The scratch projects start
# from the packages' own Cargo.lock (the versions the workspace tested, so an upstream release cannot
# break this check). Builds use CARGO_TARGET_DIR (default: the workspace's target directory), so
# dependencies already compiled with the same features are reused; binaries are run from the paths cargo
# reports for these packages.
#
# Environment: CONSUMER_CHECK_KEEP=1 keeps the scratch directory (its path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$TARGET"

say() { printf 'consumer-check: %s\n' "$*"; }

# One fixed scratch path per worktree (cargo fingerprints path dependencies by path, so a fixed one keeps
# rebuilds incremental and leaves no stale artifacts behind), outside the workspace.
SCRATCH="${TMPDIR:-/tmp}/invent-consumer-check-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)"
case "$SCRATCH/" in "$ROOT"/*) say "scratch directory $SCRATCH is inside the workspace"; exit 2 ;; esac
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
[ "${CONSUMER_CHECK_KEEP:-}" = 1 ] || trap 'rm -rf "$SCRATCH"' EXIT

say "cargo package --workspace (the builds below verify the packages)"
# --allow-dirty: the check is of the working tree as it is (CI's is clean). The notes about tests, benches
# and examples left out of the packages are expected (Cargo.toml `include`).
cargo package --workspace --no-verify --allow-dirty --locked 2>&1 | grep -v '^warning: ignoring .* is not included in the published package$' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { say "cargo package failed"; exit 1; }

unpack() {
  local name="$1" version crate
  version="$(cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
name = sys.argv[1]
print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == name))' "$name")"
  crate="$TARGET/package/$name-$version.crate"
  [ -f "$crate" ] || { say "no $crate"; exit 1; }
  tar -xzf "$crate" -C "$SCRATCH"
  echo "$SCRATCH/$name-$version"
}
SPEC_DIR="$(unpack invent-spec)"
API_DIR="$(unpack invent-api)"
CLI_DIR="$(unpack invent-cli)"
for f in openapi.json spec-overrides.json build.rs; do
  [ -f "$API_DIR/$f" ] || { say "the invent-api package has no $f"; exit 1; }
done
say "unpacked: $(basename "$SPEC_DIR"), $(basename "$API_DIR"), $(basename "$CLI_DIR") in $SCRATCH"

# Builds and prints the path of the binary cargo built for that manifest (from cargo's JSON messages, so
# it is this package's artifact and not a same-named one of the workspace).
build_bin() {
  local manifest="$1" bin="$2"
  shift 2
  cargo build --quiet --manifest-path "$manifest" --bin "$bin" --message-format=json-render-diagnostics "$@" \
    | python3 -c '
import json, sys
manifest, bin = sys.argv[1], sys.argv[2]
found = [m["executable"] for m in map(json.loads, sys.stdin)
         if m.get("reason") == "compiler-artifact" and m.get("manifest_path") == manifest
         and m["target"]["name"] == bin and m.get("executable")]
if not found:
    sys.exit("consumer-check: cargo built no binary %s for %s" % (bin, manifest))
print(found[-1])' "$manifest" "$bin"
}

say "build the packaged invent-cli (invent-api, invent-spec patched to the unpacked packages)"
INVENT_CLI="$(build_bin "$CLI_DIR/Cargo.toml" invent \
  --config "patch.crates-io.invent-api.path=\"$API_DIR\"" \
  --config "patch.crates-io.invent-spec.path=\"$SPEC_DIR\"")"

APP="$SCRATCH/app"
mkdir -p "$APP/src"
cp "$ROOT/scripts/consumer-check/main.rs" "$APP/src/main.rs"
cp "$API_DIR/Cargo.lock" "$APP/Cargo.lock"
cat > "$APP/Cargo.toml" <<TOML
[package]
name = "invent-consumer-check"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
invent-api = { path = "$API_DIR" }
tokio = { version = "1", features = ["macros", "rt-multi-thread", "net", "io-util"] }
serde_json = "1"

# invent-spec is a registry build-dependency of the package; use the unpacked one.
[patch.crates-io]
invent-spec = { path = "$SPEC_DIR" }

[workspace]
TOML

say "build the consumer crate (invent-api by path, default features)"
APP_BIN="$(build_bin "$APP/Cargo.toml" invent-consumer-check)"
say "run it against its own loopback server"
EXPECT_SPEC_SHA256="$(sha256sum "$API_DIR/openapi.json" | cut -d' ' -f1)" INVENT_CLI="$INVENT_CLI" "$APP_BIN"

say "two releases of invent-api in one build: scripts/consumer-check-two-versions.sh"
"$ROOT/scripts/consumer-check-two-versions.sh"
