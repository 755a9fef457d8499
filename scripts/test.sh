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
# the OpenSSH device tests run a real sshd of their own (127.0.0.1, a random port): Debian's
# openssh-server. /etc/ssh/sshd_not_to_be_run, created first, keeps the package's own ssh service
# (port 22) from starting now or at boot, under sysvinit, runit or systemd alike; our tests never
# use it. It is created only when we install the package, never on a machine that had an sshd.
if [ ! -x /usr/sbin/sshd ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's openssh-server for the OpenSSH device tests (its system ssh service stays disabled: /etc/ssh/sshd_not_to_be_run)" >&2
    mkdir -p /etc/ssh && touch /etc/ssh/sshd_not_to_be_run
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server) >&2
  else
    echo "setup: /usr/sbin/sshd is missing and cannot be installed here (need root and apt-get); install Debian's openssh-server" >&2
    exit 1
  fi
fi
mkdir -p test-output && rm -f test-output/jest-results.json

# the type check, lint, format and layer checks (docs/architecture.md, "Lint, format and layer checks") run beside
# jest: jest's files mostly wait, the checks mostly compute. Each check runs even when another
# failed, so one run names every kind of problem; any failure fails the run. `typecheck-and-lint`
# is `npm run typecheck` and `npm run lint:code` over one TypeScript program (scripts/typecheck-and-lint.ts).
checks=(typecheck-and-lint format:check lint:layers)
rm -f test-output/checks.log
(
  for check in "${checks[@]}"; do
    started=$SECONDS
    if npm run --silent "$check" >"test-output/check-$check.log" 2>&1; then
      echo "check: $check passed ($((SECONDS - started)) s)" >>test-output/checks.log
    else
      echo "check: $check FAILED ($((SECONDS - started)) s): its output is above; docs/architecture.md says how to fix it" >>test-output/checks.log
    fi
  done
) &
checks_pid=$!

status=0
npx jest --json --outputFile=test-output/jest-results.json "$@" || status=$?
wait "$checks_pid"
for check in "${checks[@]}"; do
  if [ -s "test-output/check-$check.log" ] && grep -q "check: $check FAILED" test-output/checks.log; then
    cat "test-output/check-$check.log"
  fi
done
cat test-output/checks.log >&2
if grep -q FAILED test-output/checks.log; then
  echo "checks: $(grep FAILED test-output/checks.log | cut -d' ' -f2 | tr '\n' ' ')failed"
  status=1
fi
# one plain closing line, whatever reads the log
node -e '
  const r = require("./test-output/jest-results.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' 2>/dev/null || true
exit "$status"
