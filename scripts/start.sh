#!/usr/bin/env bash
# `npm start`: set up whatever is missing, then run the local stack in the foreground.
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" scripts/stack.js "$@"
