"""tandem.testing.TandemLiveServerTestCase / LiveSidecar: the real sidecar, configured from the
settings as `manage.py tandem` configures it, accepts a logged-in socket of a committed user."""

from __future__ import annotations

from typing import Any

import pytest
from harness.sidecar_process import sidecar_binary
from tandem.models import Chat
from tandem.testing import LiveSidecar
from websockets.sync.client import connect


def test_a_live_sidecar_accepts_a_socket_of_a_committed_user(
    transactional_db: None, channel_layer_redis: Any, django_user_model: Any, session_cookie: Any
) -> None:
    ann = django_user_model.objects.create_user("ann", password="pw")
    chat = Chat.create_with_members([ann])
    # A site would rely on TANDEM["sidecar"] or the binary beside its venv's python.
    sidecar = LiveSidecar(str(sidecar_binary())).start()
    try:
        with connect(
            f"{sidecar.url}/ws/chat/{chat.pk}/",
            additional_headers={"Cookie": f"sessionid={session_cookie(ann)}"},
            origin="http://localhost",
            open_timeout=20,
        ) as socket:
            assert '"hello"' in socket.recv(timeout=20)
    finally:
        sidecar.stop()


def test_a_sidecar_that_cannot_start_is_a_clear_error(settings: Any, tmp_path: Any) -> None:
    broken = tmp_path / "tandem-sidecar"
    broken.write_text("#!/bin/sh\necho refusing to start\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(RuntimeError, match="did not become ready:\nrefusing to start"):
        LiveSidecar(str(broken)).start()
