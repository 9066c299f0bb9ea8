"""PostgreSQL stopped in the middle of traffic: sends are answered within a second with a
retryable store_unavailable (retry_after), sockets stay open, the sidecar recovers by itself
when PostgreSQL returns, and no acknowledged message is lost or stored twice."""

from __future__ import annotations

import time

from chatclient import send_message
from test_messaging_scale_out import own_session
from wsclient import next_frame, open_socket


def test_a_database_outage_loses_no_acknowledged_message(world, make_sidecar, postgres_server) -> None:
    from django.db import connection
    from tandem.models import Message

    sidecar = make_sidecar(rate_burst=1000, rate_messages_per_second=1000, db_timeout=2)
    acked: dict[str, int] = {}
    refusals: list[dict] = []
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.ann)) as ann:
        next_frame(ann)
        for i in range(20):
            acked[f"pre-{i}"] = send_message(ann, f"pre-{i}", "before the outage")["id"]

        connection.close()  # Django's own connection would otherwise be left broken
        postgres_server.pause()
        try:
            for i in range(5):
                started = time.monotonic()
                reply = send_message(ann, f"down-{i}", "during the outage")
                assert time.monotonic() - started < 1.0, "a send hung instead of failing fast"
                if reply["type"] == "ack":  # cannot be: nothing can store it
                    acked[reply["client_id"]] = reply["id"]
                else:
                    refusals.append(reply)
        finally:
            postgres_server.resume()

        # The client retries each refused message with its client_id until it is acked.
        deadline = time.monotonic() + 30
        for i in range(5):
            while True:
                reply = send_message(ann, f"down-{i}", "during the outage")
                if reply["type"] == "ack":
                    acked[f"down-{i}"] = reply["id"]
                    break
                assert reply["code"] == "store_unavailable"
                assert time.monotonic() < deadline, "the sidecar did not recover"
                time.sleep(min(reply["retry_after"], 0.5))
        for i in range(20):
            acked[f"post-{i}"] = send_message(ann, f"post-{i}", "after the outage")["id"]

    assert len(refusals) == 5
    assert all(r["code"] == "store_unavailable" and r["retry_after"] > 0 for r in refusals)
    stored = dict(Message.objects.filter(chat=world.chat).values_list("client_id", "id"))
    assert stored == acked, "an acknowledged message was lost, or a message was stored twice"
    seqs = sorted(Message.objects.filter(chat=world.chat).values_list("seq", flat=True))
    assert seqs == list(range(1, len(acked) + 1))
