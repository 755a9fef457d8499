#!/usr/bin/env bash
# `npm test`: set up whatever is missing, then run the whole suite (jest starts the Temporal dev server).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
mkdir -p test-output && rm -f test-output/jest-results.json
status=0
npx jest --json --outputFile=test-output/jest-results.json "$@" || status=$?
# one plain closing line, whatever reads the log
node -e '
  const r = require("./test-output/jest-results.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' 2>/dev/null || true
exit "$status"
