"""Django's side of the traffic: a thread that sends into a chat through
`tandem.messaging.send_message`, as a site's own views do, so its messages reach the sidecars'
sockets through channels_redis on the same two shards while processes are drained and killed."""

from __future__ import annotations

import threading


class DjangoSender(threading.Thread):
    def __init__(self, chat_id: int, sender_id: int, pace_s: float) -> None:
        super().__init__(name="django-sender", daemon=True)
        self.chat_id = chat_id
        self.sender_id = sender_id
        self.pace_s = pace_s
        self.stopping = threading.Event()
        self.acked: dict[str, tuple[int, int, int]] = {}  # client_id -> (chat, id, seq)
        self.failure: Exception | None = None

    def run(self) -> None:
        from django.db import connection
        from tandem import messaging

        try:
            sent = 0
            while not self.stopping.wait(self.pace_s):
                client_id = f"django-{sent}"
                message, _ = messaging.send_message(
                    chat_id=self.chat_id,
                    sender_id=self.sender_id,
                    client_id=client_id,
                    body=f"from Django {sent}",
                )
                self.acked[client_id] = (message.chat, message.id, message.seq)
                sent += 1
        except Exception as failure:  # noqa: BLE001 (any failure is reported by the test, which joins the thread)
            self.failure = failure
        finally:
            connection.close()  # the test database is flushed after the test
