"""Runs the example chat site: PostgreSQL and Redis on loopback with throwaway data, the Django
site (migrated, demo users seeded) and the Tandem sidecar. Prints the URL and the logins;
Ctrl-C stops everything. Started by scripts/run-example.sh."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from example_stack import ExampleStack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="Django's port")
    parser.add_argument("--sidecar-port", type=int, default=8765, help="the sidecar's WebSocket port")
    parser.add_argument("--check", action="store_true", help="start, check every part answers, stop")
    args = parser.parse_args()
    stack = ExampleStack(port=args.port, sidecar_port=args.sidecar_port)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
        print(f"\nTandem example chat: {stack.url}/")
        print("  log in as ann / ann-pass and, in another browser or a private window, bob / bob-pass")
        print(
            f"  sidecar: ws://127.0.0.1:{stack.sidecar_port}/ws/  (health: http://127.0.0.1:{stack.sidecar_port}/readyz)"
        )
        print("  Ctrl-C stops everything.\n", flush=True)
        # The supervisor restarts the sidecar if it dies; the rest keeps running with its data.
        while not stopping and not args.check:
            if stack.django and stack.django.poll() is not None:
                print("Django exited:\n" + stack.log("django")[-2000:], file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        stack.stop()
        print("stopped.")


if __name__ == "__main__":
    sys.exit(main())
