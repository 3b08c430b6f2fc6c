#!/usr/bin/env bash
# Validate OpenAPI documents with openapi-spec-validator (an independent, Python implementation of the
# OpenAPI 3.0/3.1 rules; it detects the version from the `openapi` field).
#
#   scripts/validate-spec.sh                  # validates openapi.json at the repository root
#   scripts/validate-spec.sh a.json b.json    # validates each given file
#
# Creates a virtual environment in .venv (repository root) on first use and installs the pinned validator from
# scripts/requirements-spec.txt. Exits non-zero if any file is invalid (or missing).
#
# Note: OpenAPI 3.1 made `responses` optional on an operation, so a spec without it is valid here; the
# per-operation checks (responses, tags, evidence, pagination headers) live in tests/vendored_spec.rs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQS="$ROOT/scripts/requirements-spec.txt"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# Install (or bring up to the pinned version) quietly; pip is a no-op when the pin is already satisfied.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"

if [ "$#" -eq 0 ]; then
  set -- "$ROOT/openapi.json"
fi

status=0
for file in "$@"; do
  if [ ! -f "$file" ]; then
    echo "validate-spec: $file: no such file" >&2
    status=1
    continue
  fi
  # openapi-spec-validator prints "<file>: OK" on success and the errors otherwise; it exits non-zero on errors.
  # Some messages embed the whole document: cut long lines (pipefail keeps the validator's exit status).
  if ! "$VENV/bin/openapi-spec-validator" --validation-errors all "$file" 2>&1 | cut -c1-600; then
    echo "validate-spec: $file: INVALID" >&2
    status=1
  fi
done
exit "$status"
