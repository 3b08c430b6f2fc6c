#!/usr/bin/env bash
# Builds and runs every example (examples/*.rs) against the local mock Invent, with no API key in the
# environment (so none reaches the real API) and no network. Each example checks what it printed and
# exits non-zero otherwise, so running it is a test; the first failure fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."

examples=()
for file in examples/*.rs; do
  examples+=("$(basename "$file" .rs)")
done
[ "${#examples[@]}" -gt 0 ] || { echo "run-examples: no examples" >&2; exit 1; }

# One build for all of them, then each run on its own.
cargo build --quiet --examples
for name in "${examples[@]}"; do
  printf 'run-examples: %s\n' "$name"
  if ! output="$(env -u INVENT_API_KEY cargo run --quiet --example "$name" 2>&1)"; then
    printf '%s\n' "$output" >&2
    printf 'run-examples: %s failed\n' "$name" >&2
    exit 1
  fi
done
printf 'run-examples: %d examples passed\n' "${#examples[@]}"
