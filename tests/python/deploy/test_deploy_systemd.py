"""deploy/systemd/tandem-sidecar@.service: `systemd-analyze verify` finds nothing to say, and the
stop timeout leaves the sidecar its whole drain."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from deploy_paths import DEPLOY, documented_default
from harness.sidecar_process import sidecar_binary

UNIT = DEPLOY / "systemd" / "tandem-sidecar@.service"
INSTALLED_BINARY = "/opt/tandem/bin/tandem-sidecar"
# What the sidecar may spend after drain_deadline: its wind-down (wind_down_limit, 2 s).
AFTER_DEADLINE_S = 2.0


def directives() -> dict[str, list[str]]:
    """Every `Key=value` of the unit; keys such as Environment= may repeat."""
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def environment() -> dict[str, str]:
    return dict(entry.split("=", 1) for entry in directives()["Environment"])


def verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """systemd-analyze verify on an instance of the template; ExecStart points at the built
    binary (or /bin/true before a build), since the installed path does not exist here."""
    binary = sidecar_binary()
    unit = tmp_path / "tandem-sidecar@8765.service"
    unit.write_text(unit_text.replace(INSTALLED_BINARY, str(binary if binary.exists() else "/bin/true")))
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )


needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


@needs_systemd_analyze
def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    result = verify(UNIT.read_text(), tmp_path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@needs_systemd_analyze
def test_systemd_analyze_reports_a_misspelled_directive(tmp_path: Path) -> None:
    """The check above means something only if the verifier bites."""
    result = verify(UNIT.read_text().replace("TimeoutStopSec=", "TimeoutStopSecs="), tmp_path)
    assert "Unknown key" in result.stderr


def test_sigterm_starts_the_drain_and_the_stop_timeout_outlasts_it() -> None:
    unit = directives()
    deadline = float(environment().get("TANDEM_DRAIN_DEADLINE", documented_default("drain_deadline")))
    assert unit["KillSignal"] == ["SIGTERM"]
    assert float(unit["TimeoutStopSec"][0]) >= deadline + AFTER_DEADLINE_S + 2


def test_it_restarts_after_a_crash_and_may_open_max_connections_sockets() -> None:
    unit = directives()
    assert unit["Restart"] in (["on-failure"], ["always"])
    assert int(unit["LimitNOFILE"][0]) > int(documented_default("max_connections"))


def test_each_instance_listens_on_its_own_port() -> None:
    assert environment()["TANDEM_LISTEN"].endswith(":%i")
