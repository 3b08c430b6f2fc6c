#!/usr/bin/env bash
# Lints, docs, feature builds and the MSRV; a step of scripts/test-all.sh and of CI.
#   1. cargo fmt --all --check (rustfmt.toml)
#   2. cargo clippy --workspace --all-targets --all-features -- -D warnings, with the MSRV-aware lints:
#      clippy reads `rust-version` from Cargo.toml, and `incompatible_msrv` (std APIs newer than it) is
#      denied explicitly; a canary crate proves this clippy reports it, and no source may allow it
#   3. Cargo.lock against the MSRV: every package built accepts `rust-version` (scripts/msrv-deps.py),
#      and the checker itself fails for a lower version
#   4. RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps
#   5. each package with --no-default-features and with each of its features alone (read from
#      `cargo metadata`), library and binaries (`cargo check`: codegen adds nothing to a feature check)
#   6. no import cycle among the hand-written modules of any crate (scripts/import-cycles.py, after its
#      self-test)
# Other toolchains cannot be installed on the development machines; CI's `msrv` job builds and tests
# with the stated toolchain (.github/workflows/ci.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

step() { printf '\n-- lint: %s\n' "$*"; }
fail() { printf 'lint: %s\n' "$*" >&2; exit 1; }

step "cargo fmt --all --check"
cargo fmt --all --check

# --all-targets: the benchmarks are type-checked here; the test command never builds them in release
# mode (minutes of CPU for no test) nor runs them (timings on a shared machine are noise: scripts/bench.sh).
step "cargo clippy --workspace --all-targets --all-features -- -D warnings -D clippy::incompatible_msrv"
# A command-line -D loses to an #[allow] in the source, so an allow would switch the MSRV check off.
if allowed="$(git grep -n -E 'allow\([^)]*incompatible_msrv' -- '*.rs')"; then
  fail "clippy::incompatible_msrv is allowed in the source (the MSRV check depends on it):
$allowed"
fi
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings -D clippy::incompatible_msrv

step "clippy's MSRV lint fires (canary: rust-version 1.85 calling Vec::pop_if, stable since 1.86)"
canary="$ROOT/target/lint/msrv-canary"
mkdir -p "$canary/src"
cat > "$canary/Cargo.toml" <<'TOML'
[package]
name = "msrv-canary"
version = "0.0.0"
edition = "2021"
rust-version = "1.85"
publish = false

[workspace]
TOML
cat > "$canary/src/lib.rs" <<'RS'
//! Must not pass clippy: `Vec::pop_if` is newer than this crate's rust-version.
pub fn last_even(v: &mut Vec<u32>) -> Option<u32> {
    v.pop_if(|x| *x % 2 == 0)
}
RS
if canary_out="$(cd "$canary" && CARGO_TARGET_DIR="$ROOT/target/lint/target" cargo clippy --quiet -- -D clippy::incompatible_msrv 2>&1)"; then
  fail "clippy accepted an API newer than rust-version: the MSRV lint is not working"
fi
grep -q 'incompatible_msrv' <<<"$canary_out" || fail "the canary failed, but not on incompatible_msrv:
$canary_out"
echo "canary rejected as expected (clippy::incompatible_msrv)"

step "Cargo.lock: every package accepts the MSRV (scripts/msrv-deps.py)"
python3 scripts/msrv-deps.py
if python3 scripts/msrv-deps.py --rust-version 1.56 >/dev/null; then
  fail "msrv-deps.py accepted Rust 1.56 for this dependency tree: the checker cannot fail"
fi

step "RUSTDOCFLAGS=\"-D warnings\" cargo doc --workspace --all-features --no-deps"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --locked

step "every package with no default features and with each feature alone"
# "package feature feature ..." per workspace member, from the manifests ("default" is not a feature).
features="$(cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
for p in meta["packages"]:
    if p["id"] in meta["workspace_members"]:
        print(p["name"], *sorted(f for f in p["features"] if f != "default"))
')"
[ -n "$features" ] || fail "cargo metadata listed no workspace package"
while read -r package list; do
  echo "$package --no-default-features"
  cargo check --quiet --locked -p "$package" --lib --bins --no-default-features
  for feature in $list; do
    echo "$package --no-default-features --features $feature"
    cargo check --quiet --locked -p "$package" --lib --bins --no-default-features --features "$feature"
  done
done <<<"$features"

step "no import cycle among the modules: scripts/import-cycles.py"
python3 scripts/import-cycles.py --self-test
python3 scripts/import-cycles.py
echo "lint: all steps passed"
