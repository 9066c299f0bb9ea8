#!/usr/bin/env bash
# The example chat site, from a fresh machine: installs what is missing, builds, then starts
# PostgreSQL and Redis on loopback with throwaway data, migrates, seeds the demo users, and runs
# Django and the Tandem sidecar. Prints the URL and the logins; Ctrl-C stops everything.
# Options go to examples/run.py (--port, --sidecar-port).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
scripts/install-deps.sh
scripts/build.sh build/dev
venv=${TANDEM_VENV:-$here/.venv}
exec "$venv/bin/python" examples/run.py "$@"
