"""`manage.py tandem check` against the real sidecar: Django's group_send reaches a socket it
opened with a real session, and every hop reports success."""

from __future__ import annotations

import io

from django.contrib.sessions.models import Session
from django.core.management import call_command


def test_every_hop_passes_against_the_real_sidecar(world, sidecar) -> None:
    out = io.StringIO()
    call_command("tandem", "check", stdout=out, timeout=5, url=f"ws://127.0.0.1:{sidecar.port}", user="ann")
    report = out.getvalue()
    for hop in ("redis", "healthz", "readyz", "session", "websocket", "notification"):
        (line,) = [text for text in report.splitlines() if text[2:].startswith(f"{hop} ")]
        assert line.startswith("✓"), report
    assert Session.objects.count() == 0  # the check removed the session it made
