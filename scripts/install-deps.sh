#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test Tandem: Debian packages (system
# libraries, services, Chromium) and a Python venv with the PyPI packages. Idempotent: when
# everything is present it only checks and returns in a second or two.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${TANDEM_VENV:-$here/.venv}

apt_packages=(
  # build tools
  cmake ninja-build g++ ccache pkg-config git
  # clang with libFuzzer for the fuzz targets (scripts/fuzz.sh)
  clang-14 libclang-rt-14-dev
  # C++ libraries (Boost stays at 1.74: libmsgpack-cxx-dev depends on it)
  libboost-dev libboost-system-dev libhiredis-dev libpq-dev libmsgpack-cxx-dev libssl-dev libjemalloc-dev
  catch2 nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  # real services the tests start on loopback (nginx, haproxy: load balancers of the topology tests)
  redis-server postgresql nginx haproxy
  # PgBouncer in transaction pooling mode, in front of the test PostgreSQL (tests/python/store)
  pgbouncer
  # promtool (checks and unit-tests deploy/monitoring/alerts.yaml; the server itself is not run)
  prometheus
  # the browser the end-to-end tests drive (Playwright is pointed at it; it downloads nothing)
  chromium fonts-dejavu-core
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: apt packages missing: ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Services started by apt (redis-server, postgresql, pgbouncer, nginx, haproxy, prometheus) are not what the tests use: they start their
# own on free loopback ports with throwaway directories. Stop the system ones so they hold no port
# or memory; nothing needs them running.
for service in redis-server postgresql pgbouncer nginx haproxy prometheus; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    systemctl stop "$service" || true
  fi
done

python=${PYTHON:-python3}
# ensure_venv DIR REQUIREMENTS: creates the venv once, reinstalls only when the file changed.
ensure_venv() {
  local dir=$1 requirements=$2
  if [ ! -x "$dir/bin/python" ]; then
    echo "install-deps: creating venv $dir"
    "$python" -m venv "$dir"
  fi
  local stamp="$dir/.requirements.sha" want
  want=$(sha256sum <"$requirements" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$dir/bin/python" -m pip install -q --upgrade pip
    "$dir/bin/python" -m pip install -q -r "$requirements"
    echo "$want" >"$stamp"
  fi
}
ensure_venv "$venv" "$here/requirements-dev.txt"
# The interop suite also runs against channels_redis 4.0.0, the version Debian 12 ships.
ensure_venv "${TANDEM_VENV_CR40:-$here/.venv-cr40}" "$here/requirements-cr40.txt"

# Toxiproxy, the network-fault proxy of tests/python/faults, built with the machine's Go from the
# Go module proxy (no prebuilt download) into build/tools/bin, once per version.
toxiproxy_version=v2.5.0
tools="$here/build/tools/bin"
go_bin=$(command -v go || echo /usr/local/go/bin/go)
if [ "$(cat "$tools/.toxiproxy-version" 2>/dev/null)" != "$toxiproxy_version" ] || [ ! -x "$tools/toxiproxy-server" ]; then
  if [ -x "$go_bin" ]; then
    echo "install-deps: building toxiproxy $toxiproxy_version with $("$go_bin" version)"
    mkdir -p "$tools"
    gobin=$(mktemp -d)
    GOBIN="$gobin" GOFLAGS=-mod=mod "$go_bin" install "github.com/Shopify/toxiproxy/v2/cmd/server@$toxiproxy_version"
    mv "$gobin/server" "$tools/toxiproxy-server"
    rmdir "$gobin"
    echo "$toxiproxy_version" >"$tools/.toxiproxy-version"
  else
    echo "install-deps: Go is missing, so toxiproxy-server is not built (the fault matrix's network rows need it)" >&2
  fi
fi
