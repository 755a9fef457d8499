#!/usr/bin/env bash
# `npm test`: set up whatever is missing, then run the whole suite (jest starts the Temporal dev server).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
exec npx jest "$@"
