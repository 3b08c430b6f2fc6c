#!/usr/bin/env bash
# The README's test command (and what .ci/run calls): installs what the tests need — Rust crates via
# cargo, Prism from the npm registry pinned by package-lock.json, openapi-spec-validator from PyPI
# pinned by scripts/requirements-spec.txt, redis-server from Debian (scripts/redis.sh) — then runs
# every test, the ones marked `#[ignore]` (they need Redis, which this script starts) included.
#
# Its last line is `N passed, N failed, N skipped` (scripts/test-summary.py over every `cargo test`
# run below; a skipped test is listed with its reason above that line, never counted as passed). A
# failing test does not stop the script: every run is counted, and it exits non-zero at the end. A
# failing step of another kind stops it at once and counts as one failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# Line tables are enough for a failing test's backtrace; full debug info only slows linking ~30 test binaries.
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"

LOGS="target/test-all"
rm -rf "$LOGS"
mkdir -p "$LOGS"
STEP="start"
RUNS=0
REDIS_STARTED=""

# Each step's header carries the time since the start, so a slow step shows in CI's log.
step() {
  STEP="$*"
  printf '\n== [%4ds] %s\n' "$SECONDS" "$*"
}

# Runs one `cargo test …` command, its output shown and kept in $LOGS for the summary.
test_run() {
  RUNS=$((RUNS + 1))
  local log status=0
  log="$LOGS/$(printf '%02d' "$RUNS").log"
  "$@" 2>&1 | tee "$log" || status=$?
  echo "exit status: $status" >>"$log"
}

finish() {
  local status=$? failed_step=() logs=()
  trap - EXIT
  if [ -n "$REDIS_STARTED" ]; then scripts/redis.sh stop || true; fi
  if [ "$status" -ne 0 ]; then failed_step=(--failed-step "$STEP"); fi
  if [ "$RUNS" -gt 0 ]; then logs=("$LOGS"/*.log); fi
  printf '\n== [%4ds] summary\n' "$SECONDS"
  python3 scripts/test-summary.py "${failed_step[@]}" "${logs[@]}" || status=1
  exit "$status"
}
trap finish EXIT

# Corpus availability: the real-world corpus (../shared/corpus/specs) is mandatory here.
# GitHub's CI (.github/workflows/ci.yml) has no ../shared: there, and only there, the tests that need it are
# skipped and the corpus check runs on the in-repo regression specs, each said out loud.
CORPUS="../shared/corpus/specs"
TEST_SKIPS=()
if [ "${GITHUB_ACTIONS:-}" = true ] && [ -z "${INVENT_CORPUS_DIR:-}" ] && [ ! -d "$CORPUS" ]; then
  # By exact name: the three tests that read the corpus (arbitrary_json_never_panics needs none).
  CORPUS_TESTS=(corpus_specs_lower_to_parseable_deterministic_fixpoints mutated_corpus_specs_never_panic
    mutated_corpus_fragments_never_panic)
  echo "::warning title=no corpus::$CORPUS is not in this checkout: skipped ${CORPUS_TESTS[*]}; corpus check on invent-spec/tests/specs only"
  for name in "${CORPUS_TESTS[@]}"; do TEST_SKIPS+=(--skip "$name"); done
  TEST_SKIPS+=(--exact)
  CORPUS=""
fi

step "npm ci: Prism for the contract tests (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error

# The vendored spec is exactly what its build script produces.
step "openapi.json is what scripts/build_openapi.py builds"
python3 scripts/build_openapi.py --check

step "openapi.json against the OpenAPI 3.1 schema (independent validator)"
scripts/validate-spec.sh openapi.json

step "tour example (README command one: local mock Invent, no key, no network)"
env -u INVENT_API_KEY cargo run --quiet --example tour >/dev/null
step "examples: scripts/run-examples.sh (each against the local mock, no key, no network; each checks its output)" && scripts/run-examples.sh

step "self-tests of the summary and corpus-check parsers (synthetic inputs, a failing one each)"
python3 scripts/test-summary.py --self-test
scripts/corpus-check.sh --self-test

step "Redis for the shared-limiter tests (scripts/redis.sh: redis-server from Debian if missing, loopback port)"
INVENT_TEST_REDIS_URL="$(scripts/redis.sh start)"
REDIS_STARTED=1
export INVENT_TEST_REDIS_URL

step "cargo test: workspace, all features (unit, integration, fault matrix, Prism contract, CLI, Redis), ignored included"
test_run cargo test --workspace --all-features --no-fail-fast --lib --bins --tests -- --include-ignored "${TEST_SKIPS[@]}"

step "cargo test --doc: doc examples (an \`ignore\` one is listed as skipped, not run)"
test_run cargo test --workspace --all-features --no-fail-fast --doc
scripts/redis.sh stop
REDIS_STARTED=""

# Lint: fmt, clippy -D warnings with the MSRV lints, Cargo.lock against the MSRV, docs with warnings
# denied, each package without default features and with each feature alone.
step "lint: scripts/lint.sh"
scripts/lint.sh

# Consumer check: the packaged crates, built and run outside the workspace like a user's.
step "consumer check: scripts/consumer-check.sh (cargo package, unpack, build a user's crate, run it against loopback)"
scripts/consumer-check.sh

if [ -n "$CORPUS" ]; then
  step "corpus: invent-api builds from every spec in ../shared/corpus/specs and invent-spec/tests/specs; nothing dropped unexplained"
  scripts/corpus-check.sh
else
  step "corpus: no ../shared here (GitHub CI): invent-api builds from every spec in invent-spec/tests/specs"
  scripts/corpus-check.sh invent-spec/tests/specs
fi
