"""Session engines other than db, Origins from CSRF_TRUSTED_ORIGINS, and permessage-deflate
negotiated only when configured."""

from __future__ import annotations

from wsclient import next_frame, open_socket, refused_status

SIGNED = "django.contrib.sessions.backends.signed_cookies"
CACHED_DB = "django.contrib.sessions.backends.cached_db"


def test_signed_cookie_sessions_are_verified_from_the_cookie_itself(world, make_sidecar, settings) -> None:
    settings.SESSION_ENGINE = SIGNED
    cookie = world.cookie(world.ann)
    assert ":" in cookie  # the whole session travels in the cookie
    sidecar = make_sidecar(session_engine="signed_cookies")
    with open_socket(sidecar.ws_url("/ws/notifications/"), cookie) as ws:
        assert next_frame(ws)["user_id"] == world.ann.pk
    tampered = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]
    assert refused_status(sidecar.ws_url("/ws/notifications/"), tampered) == 401


def test_signed_cookie_sessions_expire_with_session_cookie_age(world, make_sidecar, settings) -> None:
    settings.SESSION_ENGINE = SIGNED
    cookie = world.cookie(world.ann)
    sidecar = make_sidecar(session_engine="signed_cookies", session_cookie_age=-1)
    assert refused_status(sidecar.ws_url("/ws/notifications/"), cookie) == 401


def test_cached_db_sessions_are_read_from_the_database(world, make_sidecar, settings) -> None:
    settings.SESSION_ENGINE = CACHED_DB
    sidecar = make_sidecar(session_engine="cached_db")
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.bob)) as ws:
        assert next_frame(ws)["user_id"] == world.bob.pk


def test_csrf_trusted_origins_with_wildcards_are_allowed(world, make_sidecar) -> None:
    sidecar = make_sidecar(csrf_trusted_origins=["https://*.example.com"])
    cookie = world.cookie(world.ann)
    url = sidecar.ws_url("/ws/notifications/")
    with open_socket(url, cookie, origin="https://chat.example.com") as ws:
        assert next_frame(ws)["type"] == "hello"
    assert refused_status(url, cookie, origin="http://chat.example.com") == 403
    assert refused_status(url, cookie, origin="https://example.org") == 403


def test_allowed_origins_replace_the_derived_list(world, make_sidecar) -> None:
    sidecar = make_sidecar(allowed_origins=["https://app.example.net"])
    cookie = world.cookie(world.ann)
    url = sidecar.ws_url("/ws/notifications/")
    assert refused_status(url, cookie) == 403  # http://localhost is no longer enough
    with open_socket(url, cookie, origin="https://app.example.net") as ws:
        assert next_frame(ws)["type"] == "hello"


def test_permessage_deflate_is_off_unless_configured(world, make_sidecar) -> None:
    cookie = world.cookie(world.ann)
    plain = make_sidecar()
    with open_socket(plain.ws_url("/ws/notifications/"), cookie) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
    deflating = make_sidecar(permessage_deflate=True, deflate_window_bits=10)
    with open_socket(deflating.ws_url("/ws/notifications/"), cookie) as ws:
        extensions = ws.response.headers["Sec-WebSocket-Extensions"]
        assert "permessage-deflate" in extensions
        ws.send('{"type":"ping","ref":"z"}')
        frames = [next_frame(ws), next_frame(ws), next_frame(ws)]  # hello, presence, pong
        assert {"type": "pong", "ref": "z"} in frames
