#!/usr/bin/env bash
# Brings a fresh clone to a runnable state: npm packages, a compiled build, the Temporal CLI.
# Idempotent and quick when everything is already there. Exports TEMPORAL_CLI for the caller.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2
fi

echo "setup: compiling TypeScript" >&2
npx tsc -p tsconfig.json >&2

TEMPORAL_CLI="$(bash scripts/ensure-temporal.sh | tail -n1)"
export TEMPORAL_CLI
