"""Time-based behaviour: silent peers are dropped after two missed pings, slow upgrade requests
are cut at the handshake timeout, a password change closes open sockets with 4401 at their
re-check, and a logout closes that session's sockets with 4401 at once."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time

import pytest
from websockets.exceptions import ConnectionClosed
from wsclient import ORIGIN, greeting, next_frame, open_socket, refused_status


def raw_upgrade(port: int, cookie: str) -> socket.socket:
    """A WebSocket client that never answers pings: the handshake by hand, then silence."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws/notifications/ HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {ORIGIN}\r\n"
        f"Cookie: sessionid={cookie}\r\n\r\n"
    )
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def read_frames_until_closed(sock: socket.socket, limit_s: float) -> list[tuple[int, float]]:
    """(opcode, monotonic time) of the server's frames until it closes the connection."""
    sock.settimeout(limit_s)
    data = b""
    opcodes: list[tuple[int, float]] = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            return opcodes
        data += chunk
        while len(data) >= 2:
            length = data[1] & 0x7F
            offset = 2
            if length == 126:
                (length,) = struct.unpack(">H", data[2:4])
                offset = 4
            if len(data) < offset + length:
                break
            opcodes.append((data[0] & 0x0F, time.monotonic()))
            data = data[offset + length :]
    return opcodes


def test_a_peer_that_misses_two_pings_is_closed(world, make_sidecar) -> None:
    sidecar = make_sidecar(ping_interval=0.3)
    sock = raw_upgrade(sidecar.port, world.cookie(world.ann))
    started = time.monotonic()
    frames = read_frames_until_closed(sock, 8)
    sock.close()
    # Text frames (hello) may have come with the 101 response; the control frames matter here.
    opcodes = [opcode for opcode, _ in frames if opcode != 0x1]
    assert opcodes == [0x9, 0x9, 0x8]  # two unanswered pings, then the close
    assert frames[-1][1] - started < 2  # at the third interval, not later
    assert "event=ws_peer_unresponsive" in sidecar.log()


def test_a_peer_that_answers_pings_stays(world, make_sidecar) -> None:
    sidecar = make_sidecar(ping_interval=0.2)
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        time.sleep(1.5)  # seven ping rounds, each answered by the client library
        ws.send('{"type":"ping","ref":"still"}')
        assert next_frame(ws) == {"type": "pong", "ref": "still"}


def test_a_slow_upgrade_request_is_cut_at_the_handshake_timeout(world, make_sidecar) -> None:
    sidecar = make_sidecar(handshake_timeout=1)
    sock = socket.create_connection(("127.0.0.1", sidecar.port), timeout=10)
    sock.sendall(b"GET /ws/notifications/ HTTP/1.1\r\nHost: localhost\r\n")
    started = time.monotonic()
    closed = False
    while time.monotonic() - started < 5:
        try:
            sock.sendall(b"X-Slow: 1\r\n")  # a header line every 100 ms, never the end
        except OSError:
            closed = True
            break
        sock.settimeout(0.1)
        try:
            if sock.recv(1024) == b"":
                closed = True
                break
        except TimeoutError:
            pass
    elapsed = time.monotonic() - started
    sock.close()
    assert closed
    assert elapsed < 2.5


def test_a_password_change_closes_open_sockets_with_4401(world, make_sidecar) -> None:
    sidecar = make_sidecar(auth_recheck_interval=0.3)
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        world.ann.set_password("changed")
        world.ann.save()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4401
    # The reason a client tells a re-check's 4401 by (the session may only have a new key, and
    # the browser client asks Django: docs/protocol.md, "Close codes") from a logout's.
    assert closed.value.rcvd.reason == "session ended"


def close_of(ws, timeout: float = 10) -> tuple[int, str]:
    """The close code and reason, reading (and skipping) whatever frames arrive before."""
    while True:
        try:
            ws.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (1006, "")


def test_a_logout_closes_that_sessions_sockets_at_once_on_every_process_and_no_others(
    world, make_sidecar
) -> None:
    """Django's logout() tells the sidecar (tandem.signals): the sockets opened with that session
    close with 4401 now, on both processes, not at their re-check (an hour here, a minute by
    default, during which they went on hearing the user's chats); Bob's other session keeps its
    socket and hears the next message."""
    from chatclient import of_type, send_message, wait_for
    from django.contrib.auth import logout
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from test_messaging_scale_out import own_session

    one, two = make_sidecar(auth_recheck_interval=3600), make_sidecar(auth_recheck_interval=3600)
    leaving, staying = own_session(world.bob), own_session(world.bob)
    chat_path = f"/ws/chat/{world.chat.pk}/"
    with (
        open_socket(one.ws_url("/ws/notifications/"), leaving) as gone_here,
        open_socket(two.ws_url(chat_path), leaving) as gone_there,
        open_socket(two.ws_url("/ws/notifications/"), staying) as stays,
        open_socket(one.ws_url(chat_path), own_session(world.ann)) as ann,
    ):
        for ws in (gone_here, gone_there, stays, ann):
            greeting(ws)
        request = RequestFactory().post("/accounts/logout/", HTTP_COOKIE=f"sessionid={leaving}")
        request.session = SessionStore(leaving)
        request.user = world.bob
        started = time.monotonic()
        logout(request)
        for ws in (gone_here, gone_there):
            assert close_of(ws) == (4401, "closed by the server application")  # final: no re-check
        assert time.monotonic() - started < 10
        assert send_message(ann, "after-logout", "still here?")["type"] == "ack"
        wait_for(stays, of_type("message", client_id="after-logout"))


def test_without_the_database_upgrades_get_503_and_readyz_says_why(world, make_sidecar) -> None:
    sidecar = make_sidecar(wait_ready=False, database="host=127.0.0.1 port=1 dbname=x connect_timeout=1")
    # Nobody can be authenticated without the database ...
    assert refused_status(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) == 503
    # ... and /readyz says so.
    status, body = sidecar.get("/readyz")
    assert status == 503
    assert '"postgres":false' in body


def test_a_database_error_while_checking_a_session_or_a_membership_keeps_sockets_and_refuses_with_503(
    world, make_sidecar
) -> None:
    """The database answering with an error (here a column gone; in life a statement timeout, a
    server shutting down, too many connections, a read-only standby) is an outage, not a "no":
    open sockets stay through their rechecks (not closed with 4401 or 4403 as if the session had
    ended or the member had left) and new upgrades get 503, not 401 (docs/protocol.md, "Close
    codes")."""
    from django.db import connection
    from test_messaging_scale_out import own_session

    sidecar = make_sidecar(auth_recheck_interval=0.3)
    # Sessions of their own, made before the session table breaks.
    ann_cookie, bob_cookie, eve_cookie = (own_session(u) for u in (world.ann, world.bob, world.eve))

    def rename(table: str, old: str, new: str) -> None:
        # The sidecar's prepared statements are planned again after the change and then fail.
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")

    with (
        open_socket(sidecar.ws_url("/ws/notifications/"), ann_cookie) as inbox,
        open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), bob_cookie) as page,
    ):
        for ws in (inbox, page):
            greeting(ws)
        rename("django_session", "session_data", "session_data_gone")
        rename("tandem_chatmember", "user_id", "user_id_gone")
        try:
            assert refused_status(sidecar.ws_url("/ws/notifications/"), eve_cookie) == 503
            time.sleep(2.0)  # several rechecks meet the error
            assert "sqlstate=42703" in sidecar.log()
        finally:
            rename("tandem_chatmember", "user_id_gone", "user_id")
            rename("django_session", "session_data_gone", "session_data")
        for ws in (inbox, page):
            ws.ping().wait(timeout=5)  # still open
        with open_socket(sidecar.ws_url("/ws/notifications/"), eve_cookie) as eve:
            greeting(eve)


def test_a_session_cookie_of_bytes_that_are_not_text_is_refused_with_401(world, make_sidecar) -> None:
    """A cookie no session key can be (bytes PostgreSQL would refuse as text) is a plain "no":
    401, never a 503 that sends the browser back to retry, and no database error logged."""
    sidecar = make_sidecar()
    for _ in range(2):
        with socket.create_connection(("127.0.0.1", sidecar.port), timeout=10) as sock:
            key = base64.b64encode(os.urandom(16))
            sock.sendall(
                b"GET /ws/notifications/ HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n"
                b"Origin: " + ORIGIN.encode() + b"\r\nCookie: sessionid=ab\xff\xfecd\r\n\r\n"
            )
            head = b""
            while b"\r\n" not in head:
                head += sock.recv(4096)
            assert head.startswith(b"HTTP/1.1 401"), head
    assert "postgres_statement_failed" not in sidecar.log()
