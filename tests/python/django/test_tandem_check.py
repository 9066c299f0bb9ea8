"""`manage.py tandem check` names the hop that fails, cleans up its session, and passes when
every hop answers (against a stand-in until the real sidecar serves WebSockets)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from harness.fake_sidecar import FakeSidecar
from harness.redis_server import RedisServer, free_port
from tandem.sidecar.origin import default_origin


def check(**options: Any) -> tuple[str, str | None]:
    """The printed report and the CommandError message (None when every hop passed)."""
    out = io.StringIO()
    try:
        call_command("tandem", "check", stdout=out, timeout=5, **options)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), None


def line(report: str, hop: str) -> str:
    (found,) = [text for text in report.splitlines() if text[2:].startswith(f"{hop} ")]
    return found


@pytest.fixture
def ann(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("ann", password="pw")


@pytest.fixture
def fake_sidecar(channel_layer_redis: RedisServer) -> Iterator[FakeSidecar]:
    sidecar = FakeSidecar(channel_layer_redis.url, {"http://localhost"})
    sidecar.start()
    yield sidecar
    sidecar.stop()


@pytest.mark.django_db(transaction=True)
def test_every_hop_passes_against_a_working_sidecar(fake_sidecar: FakeSidecar, ann: Any) -> None:
    report, failed = check(url=f"ws://127.0.0.1:{fake_sidecar.port}", user="ann")
    assert failed is None, report
    for hop in ("redis", "healthz", "readyz", "session", "websocket", "notification"):
        assert line(report, hop).startswith("✓"), report
    assert f"hello for user {ann.pk} with Origin http://localhost" in line(report, "websocket")
    assert not Session.objects.exists()  # the check's session is gone again


@pytest.mark.django_db(transaction=True)
def test_nothing_listening_is_reported_hop_by_hop(channel_layer_redis: RedisServer, ann: Any) -> None:
    port = free_port()
    report, failed = check(url=f"ws://127.0.0.1:{port}", user="ann")
    assert failed == "tandem check failed at: healthz, readyz, websocket"
    assert line(report, "redis").startswith("✓")
    assert line(report, "healthz").startswith("✗ healthz")
    assert f"http://127.0.0.1:{port}/healthz: Connection refused" in line(report, "healthz")
    assert line(report, "session").startswith("✓")
    assert f"ws://127.0.0.1:{port}/ws/notifications/" in line(report, "websocket")
    assert line(report, "notification").startswith("- notification")
    assert line(report, "notification").endswith("not run: no socket")
    assert not Session.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_refused_origin_is_explained(fake_sidecar: FakeSidecar, ann: Any) -> None:
    report, failed = check(
        url=f"ws://127.0.0.1:{fake_sidecar.port}", user="ann", origin="https://evil.example"
    )
    assert failed == "tandem check failed at: websocket"
    assert "HTTP 403, the Origin was refused" in line(report, "websocket")


@pytest.mark.django_db(transaction=True)
def test_an_unknown_user_fails_the_session_hop(fake_sidecar: FakeSidecar) -> None:
    report, failed = check(url=f"ws://127.0.0.1:{fake_sidecar.port}", user="nobody")
    assert failed == "tandem check failed at: session"
    assert "no user 'nobody'" in line(report, "session")
    assert line(report, "websocket").startswith("- websocket")


def test_unreachable_redis_and_no_user(settings: Any) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [dead]}}
    }
    report, failed = check(url=f"ws://127.0.0.1:{free_port()}")
    assert failed == "tandem check failed at: redis, healthz, readyz"
    assert "Connect call failed" in line(report, "redis") or "refused" in line(report, "redis")
    assert "pass --user USERNAME" in line(report, "session")


@pytest.mark.parametrize(
    ("url", "hosts", "trusted", "debug", "origin"),
    [
        ("ws://127.0.0.1:8765", ["chat.example.com"], [], False, "http://chat.example.com"),
        ("wss://ws.example.com", [".example.com"], [], False, "https://example.com"),
        ("ws://127.0.0.1:8765", ["*"], ["https://app.example.com"], False, "https://app.example.com"),
        ("ws://127.0.0.1:8765", [], [], True, "http://localhost"),
        ("ws://127.0.0.1:8765", [], [], False, "http://127.0.0.1:8765"),
    ],
)
def test_the_origin_is_one_the_site_allows(
    url: str, hosts: list[str], trusted: list[str], debug: bool, origin: str
) -> None:
    assert default_origin(url, hosts, trusted, debug) == origin
