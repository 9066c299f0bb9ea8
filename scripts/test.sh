#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, builds (normal and
# ASan+UBSan), runs the C++ tests (ctest) and the Python tests (pytest, including the wheel
# install check). Extra arguments go to pytest, e.g. scripts/test.sh -k tick.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

scripts/install-deps.sh
venv=${TANDEM_VENV:-$here/.venv}
scripts/build.sh build/dev -DTANDEM_WERROR=ON

echo "== C++ tests"
ctest --test-dir build/dev --output-on-failure

echo "== C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer"
scripts/build.sh build/asan -DTANDEM_SANITIZE=ON -DTANDEM_BUILD_PYMODULE=OFF -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build/asan --output-on-failure

echo "== Browser client core unit tests (node --test, no browser)"
node --test tests/js/
# axe-core for the accessibility checks of the browser tests (pinned in package-lock.json).
npm ci --prefix tests/python/browser --no-audit --no-fund --silent

echo "== Python lint (ruff)"
"$venv/bin/ruff" check "$here"

export PYTHONPATH="$here/build/dev/python:$here/django_integration${PYTHONPATH:+:$PYTHONPATH}"
echo "== Python types (mypy with django-stubs, settings from tests/python/testproject)"
PYTHONPATH="$here/tests/python:$PYTHONPATH" "$venv/bin/mypy"

echo "== Python tests"
if [ $# -eq 0 ]; then
  "$venv/bin/python" -m pytest --ignore=tests/python/faults
  echo "== Fault matrix: Redis, PostgreSQL, process and network faults under traffic (about 5 min)"
  "$venv/bin/python" -m pytest tests/python/faults -p no:cacheprovider
else
  "$venv/bin/python" -m pytest "$@"
fi

if [ $# -eq 0 ]; then
  echo "== Sidecar end-to-end tests against the ASan+UBSan build (memory errors fail the run)"
  TANDEM_BUILD_DIR=build/asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    "$venv/bin/python" -m pytest tests/python/sidecar -p no:cacheprovider
  echo "== Interop tests against channels_redis 4.0.0 (Debian 12's version)"
  "${TANDEM_VENV_CR40:-$here/.venv-cr40}/bin/python" -m pytest tests/python/interop
  echo "== Fuzzing: each libFuzzer target for 10 s (clang, ASan+UBSan; a crash fails the run)"
  scripts/fuzz.sh 10
  echo "== ThreadSanitizer: end-to-end subset, 4 I/O threads per process, two processes"
  scripts/tsan.sh
  echo "== Benchmark suite, quick mode: Tandem vs Daphne and uvicorn, every workload at small sizes (no timing assertions; under 5 min)"
  bench/run --quick --out build/bench/quick
fi
