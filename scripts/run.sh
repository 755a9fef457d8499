#!/usr/bin/env bash
# Set up whatever is missing (scripts/setup.sh), then run a compiled entry point:
#   bash scripts/run.sh <path under dist/> [args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
entry="$1"
shift
exec node "dist/$entry" "$@"
