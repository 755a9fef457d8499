#!/usr/bin/env bash
# `npm start`: set up whatever is missing, then run the local stack in the foreground.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
exec node dist/scripts/stack.js
