#!/usr/bin/env bash
# The README's test command (and what .ci/run calls): installs what the tests need — Rust crates via
# cargo, Prism from the npm registry pinned by package-lock.json, openapi-spec-validator from PyPI
# pinned by scripts/requirements-spec.txt, redis-server from Debian (scripts/redis.sh) — then runs
# every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# Line tables are enough for a failing test's backtrace; full debug info only slows linking ~30 test binaries.
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"

step() { printf '\n== %s\n' "$*"; }

# --- corpus availability (packaging): the real-world corpus (../shared/corpus/specs) is mandatory here.
# GitHub's CI (.github/workflows/ci.yml) has no ../shared: there, and only there, the tests that need it are
# skipped and the corpus check runs on the in-repo regression specs, each said out loud.
CORPUS="../shared/corpus/specs"
TEST_SKIPS=()
if [ "${GITHUB_ACTIONS:-}" = true ] && [ -z "${INVENT_CORPUS_DIR:-}" ] && [ ! -d "$CORPUS" ]; then
  echo "::warning title=no corpus::$CORPUS is not in this checkout: corpus tests skipped, corpus check on invent-spec/tests/specs only"
  TEST_SKIPS=(-- --skip corpus)
  CORPUS=""
fi
# --- end corpus availability

step "npm ci: Prism for the contract tests (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error

# --- pipeline: the vendored spec is exactly what its build script produces ---
step "openapi.json is what scripts/build_openapi.py builds"
python3 scripts/build_openapi.py --check
# --- end pipeline ---

step "openapi.json against the OpenAPI 3.1 schema (independent validator)"
scripts/validate-spec.sh openapi.json

step "tour example (README command one: local mock Invent, no key, no network)"
env -u INVENT_API_KEY cargo run --quiet --example tour >/dev/null
step "examples: scripts/run-examples.sh (each against the local mock, no key, no network; each checks its output)" && scripts/run-examples.sh

step "Redis for the shared-limiter tests (scripts/redis.sh: redis-server from Debian if missing, loopback port)"
INVENT_TEST_REDIS_URL="$(scripts/redis.sh start)"
export INVENT_TEST_REDIS_URL
trap 'scripts/redis.sh stop' EXIT

step "cargo test: workspace, all features (unit, integration, fault matrix, Prism contract, CLI, Redis)"
cargo test --workspace --all-features "${TEST_SKIPS[@]}"
scripts/redis.sh stop
trap - EXIT


# --- lint (issue 15): fmt, clippy -D warnings with the MSRV lints, Cargo.lock against the MSRV, docs with
# warnings denied, each package without default features and with each feature alone.
# --- benchmarks compile (issue 13, item 7). Built, never run here: timings on a shared machine are
# noise; `scripts/bench.sh` runs them in a quiet window.
step "cargo bench --no-run: the benchmarks compile"
cargo bench --workspace --no-run
# --- end benchmarks compile

step "lint: scripts/lint.sh"
scripts/lint.sh
# --- end lint

# --- consumer check (issue 15): the packaged crates, built and run outside the workspace like a user's.
step "consumer check: scripts/consumer-check.sh (cargo package, unpack, build a user's crate, run it against loopback)"
scripts/consumer-check.sh
# --- end consumer check

if [ -n "$CORPUS" ]; then
  step "corpus: invent-api builds from every spec in ../shared/corpus/specs and invent-spec/tests/specs; nothing dropped unexplained"
  scripts/corpus-check.sh
else
  step "corpus: no ../shared here (GitHub CI): invent-api builds from every spec in invent-spec/tests/specs"
  scripts/corpus-check.sh invent-spec/tests/specs
fi
