#!/usr/bin/env bash
# Sets everything up and shows what Tandem runs today: the shared status rules, computed by the
# same C++ code from the sidecar binary and from Python. (The example chat site arrives with the
# browser-client work; this script will start it.)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
scripts/install-deps.sh
scripts/build.sh build/dev
venv=${TANDEM_VENV:-$here/.venv}
build/dev/sidecar/app/tandem-sidecar --version
PYTHONPATH="$here/build/dev/python" "$venv/bin/python" - <<'PY'
import time
import tandem_core as t

now = int(time.time() * 1000)
status = t.MessageStatus()
for event in (t.TickEvent.ACKED, t.TickEvent.DELIVERED, t.TickEvent.READ):
    status, _ = t.advance(status, event, now)
    icon = t.icon_for(status.state)
    print(f"{t.tick_name(status.state):>9}: {icon.icon:<17} ({icon.label})")
for minutes in (0, 5, 90, 60 * 30):
    print(t.last_seen_text(False, now - minutes * 60_000, now))
print(t.typing_text(["Ann", "Bo"]))
PY
