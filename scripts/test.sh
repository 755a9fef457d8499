#!/usr/bin/env bash
# `npm test`: set up whatever is missing, then run the whole suite (jest starts the Temporal dev server).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh

# browser tests drive Debian's Chromium through playwright-core (no browser download)
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's chromium for the browser tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  else
    echo "setup: /usr/bin/chromium is missing and cannot be installed here (need root and apt-get); install Debian's chromium" >&2
    exit 1
  fi
fi
mkdir -p test-output && rm -f test-output/jest-results.json
status=0
npx jest --json --outputFile=test-output/jest-results.json "$@" || status=$?
# one plain closing line, whatever reads the log
node -e '
  const r = require("./test-output/jest-results.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' 2>/dev/null || true
exit "$status"
