#!/usr/bin/env bash
# Configures (once) and builds one build directory with Ninja: scripts/build.sh DIR [cmake -D...].
# The Python extension is built against the project venv's interpreter and pybind11.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:?usage: scripts/build.sh BUILD_DIR [CMAKE_ARGS...]}
shift
case $dir in /*) ;; *) dir=$here/$dir ;; esac  # relative to the project, or absolute
venv=${TANDEM_VENV:-$here/.venv}
# ccache keys on paths relative to the checkout, so clones and worktrees share cached objects.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$here} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
cmake -S "$here" -B "$dir" -G Ninja \
  -DPython_EXECUTABLE="$venv/bin/python" \
  -Dpybind11_DIR="$("$venv/bin/python" -m pybind11 --cmakedir)" "$@" >/dev/null
cmake --build "$dir"
