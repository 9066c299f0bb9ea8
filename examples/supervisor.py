"""Keeps one child process running, as systemd's Restart=always or supervisord would in
production: when it exits without being asked to, it is started again after a short, growing
pause (so a crash loop does not spin), and everything around it (database, Redis, Django)
keeps running with its data. The example runs the sidecar under it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable

RESTART_PAUSES_S = (0.2, 0.5, 1.0, 2.0, 5.0)  # a run that lasts 30 s starts the list again
HEALTHY_AFTER_S = 30.0


class Supervisor:
    def __init__(self, name: str, start: Callable[[], subprocess.Popen[bytes]]) -> None:
        self.name = name
        self._start = start
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._wanted = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> subprocess.Popen[bytes]:
        with self._lock:
            self._wanted = True
            self.process = self._start()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._watch, name=f"supervise-{self.name}", daemon=True)
            self._thread.start()
        return self.process

    def stop(self, *, kill: bool = False, timeout: float = 20) -> None:
        """Stops the child for good (until start() again)."""
        with self._lock:
            self._wanted = False
            process = self.process
        if process and process.poll() is None:
            process.kill() if kill else process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _watch(self) -> None:
        failures = 0
        started = time.monotonic()
        while True:
            with self._lock:
                if not self._wanted:
                    return
                process = self.process
            if process is None or process.poll() is None:
                time.sleep(0.1)
                continue
            if time.monotonic() - started > HEALTHY_AFTER_S:
                failures = 0
            pause = RESTART_PAUSES_S[min(failures, len(RESTART_PAUSES_S) - 1)]
            print(
                f"supervisor: {self.name} exited with {process.returncode}; restarting in {pause} s",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(pause)
            with self._lock:
                if not self._wanted:
                    return
                self.process = self._start()
                self.restarts += 1
            failures += 1
            started = time.monotonic()
