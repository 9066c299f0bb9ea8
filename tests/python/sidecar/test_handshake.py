"""Who gets a socket: real Django sessions accepted, every kind of bad session, foreign Origin
and non-participants refused before the upgrade (docs/protocol.md)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone
from wsclient import next_frame, open_socket, refused_status


def test_a_logged_in_user_connects_and_is_greeted(world, sidecar) -> None:
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        hello = next_frame(ws)
    assert hello["type"] == "hello"
    assert hello["user_id"] == world.ann.pk
    assert hello["chat_id"] is None


def test_a_participant_joins_the_chat_socket(world, sidecar) -> None:
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/?v=1"), world.cookie(world.bob)) as ws:
        hello = next_frame(ws)
    assert (hello["user_id"], hello["chat_id"]) == (world.bob.pk, world.chat.pk)


def test_no_cookie_is_refused_with_401(world, sidecar) -> None:
    assert refused_status(sidecar.ws_url("/ws/notifications/"), None) == 401


def test_a_forged_session_key_is_refused(world, sidecar) -> None:
    assert refused_status(sidecar.ws_url("/ws/notifications/"), "x" * 32) == 401


def test_a_tampered_session_row_is_refused(world, sidecar) -> None:
    cookie = world.cookie(world.ann)
    session = Session.objects.get(session_key=cookie)
    Session.objects.filter(session_key=cookie).update(session_data=session.session_data[:-3] + "abc")
    assert refused_status(sidecar.ws_url("/ws/notifications/"), cookie) == 401


def test_an_expired_session_is_refused(world, sidecar) -> None:
    cookie = world.cookie(world.ann)
    Session.objects.filter(session_key=cookie).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert refused_status(sidecar.ws_url("/ws/notifications/"), cookie) == 401


def test_a_session_signed_with_another_secret_key_is_refused(world, make_sidecar) -> None:
    other = make_sidecar(secret_key="a-different-secret-key")
    assert refused_status(other.ws_url("/ws/notifications/"), world.cookie(world.ann)) == 401


def test_a_session_signed_with_a_fallback_key_is_accepted(world, make_sidecar, settings) -> None:
    rotated = make_sidecar(secret_key="the-new-key", secret_key_fallbacks=[settings.SECRET_KEY])
    with open_socket(rotated.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        assert next_frame(ws)["type"] == "hello"


def test_a_password_change_invalidates_the_session(world, sidecar) -> None:
    cookie = world.cookie(world.ann)
    world.ann.set_password("a-new-password")
    world.ann.save()
    assert refused_status(sidecar.ws_url("/ws/notifications/"), cookie) == 401


def test_a_logged_out_session_is_refused(world, sidecar, client) -> None:
    cookie = world.cookie(world.ann)
    client.logout()
    assert refused_status(sidecar.ws_url("/ws/notifications/"), cookie) == 401


def test_an_inactive_user_is_refused(world, sidecar) -> None:
    cookie = world.cookie(world.ann)
    world.ann.is_active = False
    world.ann.save()
    assert refused_status(sidecar.ws_url("/ws/notifications/"), cookie) == 401


def test_a_foreign_origin_is_refused_with_403(world, sidecar) -> None:
    url = sidecar.ws_url("/ws/notifications/")
    assert refused_status(url, world.cookie(world.ann), origin="https://evil.example") == 403


def test_a_non_participant_is_refused_with_403(world, sidecar) -> None:
    assert refused_status(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.eve)) == 403


def test_unknown_paths_404_and_bad_requests_400(world, sidecar) -> None:
    assert sidecar.get("/nowhere")[0] == 404
    assert sidecar.get("/ws/notifications/")[0] == 400  # a plain GET, not an upgrade
    assert refused_status(sidecar.ws_url("/ws/chat/abc/"), world.cookie(world.ann)) == 400
    assert refused_status(sidecar.ws_url("/ws/notifications/?v=9"), world.cookie(world.ann)) == 400
