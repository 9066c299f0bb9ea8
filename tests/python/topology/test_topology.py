"""Many sidecars behind a load balancer, with faults: users spread over three processes by
nginx chat in 1:1 and group chats, and Django sends into a group through channels_redis on the
same two shards, while one process is drained with SIGTERM (and restarted, as in a rolling
upgrade) and another is killed with -9. The audit: every acknowledged message is stored exactly
once with gapless seqs and reached every member; no socket got a message twice live; every
client was back within seconds; presence is right afterwards."""

from __future__ import annotations

import re
import shutil
import signal
import statistics
import time
import urllib.request
from typing import Any

import pytest
from chat_user import ChatUser, Outage
from django_sender import DjangoSender
from harness.sidecar_process import SidecarProcess
from nginx_proxy import NginxProxy
from polling import poll
from user_session import login

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")

USERS = 9
PACE_S = 0.1  # each user sends about 8 messages a second: 70 a second in all
PHASE_S = 3.0
BACK_WITHIN_S = 5.0  # "every client back within a few seconds"


def open_sockets(process: SidecarProcess) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{process.port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return int(re.search(r"^tandem_connections (\d+)$", text, re.MULTILINE).group(1))


def make_chats(users: list[Any]) -> dict[int, list[Any]]:
    """A ring of 1:1 chats (each user has two contacts) and two overlapping groups of five."""
    from tandem.models import Chat

    chats = {}
    for i, user in enumerate(users):
        peer = users[(i + 1) % len(users)]
        chats[Chat.create_with_members([user, peer]).pk] = [user, peer]
    for title, members in (("first five", users[:5]), ("last five", users[4:])):
        chats[Chat.create_with_members(members, title=title, is_group=True).pk] = members
    return chats


def summary(label: str, outages: list[Outage]) -> str:
    if not outages:
        return f"| {label} | 0 | - | - | - |"
    times = sorted(o.back_after_s * 1000 for o in outages)
    codes = sorted({str(o.close_code) for o in outages})
    return (
        f"| {label} | {len(outages)} | {','.join(codes)} | {statistics.median(times):.0f} | {times[-1]:.0f} |"
    )


def test_drain_and_kill_behind_nginx_lose_nothing_and_clients_come_back(
    transactional_db: None,
    django_user_model: Any,
    sidecars: list[SidecarProcess],
    nginx: NginxProxy,
    presence_intervals: dict[str, float],
) -> None:
    from tandem.models import Message, UserStatus

    users = [django_user_model.objects.create_user(f"user{i}", password=f"pw-{i}") for i in range(USERS)]
    chats = make_chats(users)
    url = nginx.ws_url("/ws/notifications/")
    clients = [
        ChatUser(u.username, u.pk, login(u), url, [c for c, m in chats.items() if u in m], PACE_S)
        for u in users
    ]
    for client in clients:
        client.start()
    group = next(chat for chat, members in chats.items() if len(members) == 5)
    django_side = DjangoSender(group, users[4].pk, PACE_S)
    drained, killed, _survivor = sidecars

    # least_conn spreads the sockets over all three processes.
    poll(lambda: sum(map(open_sockets, sidecars)) == USERS, 20, "every user connected")
    spread = [open_sockets(process) for process in sidecars]
    assert min(spread) >= 1, f"nginx left a process without sockets: {spread}"
    django_side.start()
    time.sleep(PHASE_S)

    drain_started = time.monotonic()
    assert drained.stop(signal.SIGTERM) == 0
    drain_ms = (time.monotonic() - drain_started) * 1000
    drained.start()  # the same port again: a rolling upgrade's new process
    time.sleep(PHASE_S)

    kill_at = time.monotonic()
    killed.stop(signal.SIGKILL)
    time.sleep(PHASE_S)

    django_side.stopping.set()
    django_side.join(timeout=30)
    assert django_side.failure is None, repr(django_side.failure)
    for client in clients:
        client.stopping.set()
    for client in clients:
        client.join(timeout=60)
        assert not client.is_alive(), f"{client.user_name} is stuck"
        assert client.failure is None, f"{client.user_name}: {client.failure!r}"

    # -- messages: stored exactly once, gapless, every member has every message ------------------
    acked = {cid: entry for client in clients for cid, entry in client.record.acked.items()}
    acked |= django_side.acked
    stored = {m.client_id: (m.chat_id, m.id, m.seq) for m in Message.objects.filter(chat_id__in=chats)}
    rows = Message.objects.filter(chat_id__in=chats).count()
    lost = set(acked) - set(stored)
    unacked_rows = set(stored) - set(acked)
    mismatched = {cid for cid in set(acked) & set(stored) if acked[cid] != stored[cid]}
    for chat in chats:
        seqs = sorted(seq for chat_id, _, seq in stored.values() if chat_id == chat)
        assert seqs == list(range(1, len(seqs) + 1)), f"chat {chat} has gaps"
    missing_for_members = [
        (client.user_name, chat)
        for client in clients
        for chat in client.chats
        if client.record.seen.get(chat, {})
        != {seq: mid for chat_id, mid, seq in stored.values() if chat_id == chat}
    ]
    live_duplicates = sum(client.record.live_duplicates for client in clients)

    # -- faults and reconnects ------------------------------------------------------------------
    outages = [outage for client in clients for outage in client.record.outages]
    drain_outages = [o for o in outages if drain_started <= o.closed_at < kill_at]
    kill_outages = [o for o in outages if o.closed_at >= kill_at]
    resends = sum(client.record.resends for client in clients)
    errors = [frame["code"] for client in clients for frame in client.record.errors]

    print("\n| messages acked | rows stored | lost | stored twice | not acked | live duplicates | resends |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {len(acked)} | {rows} | {len(lost)} | {rows - len(stored)} | {len(unacked_rows)} "
        f"| {live_duplicates} | {resends} |"
    )
    print("\n| fault | sockets closed | close codes | reconnect p50 ms | reconnect max ms |")
    print("|---|---|---|---|---|")
    print(summary(f"SIGTERM drain ({drain_ms:.0f} ms to exit)", drain_outages))
    print(summary("kill -9", kill_outages))
    before_hello = [kind for client in clients for kind in client.record.before_hello]
    print(f"\nsockets per process before the faults: {spread}; error frames: {sorted(set(errors))}")
    print(f"of the acked messages, {len(django_side.acked)} were sent by Django (messaging.send_message)")
    print(f"frames that arrived before hello: {len(before_hello)} ({sorted(set(before_hello))})")

    assert lost == set(), f"acknowledged but not stored: {sorted(lost)[:10]}"
    assert rows == len(stored), "a client_id was stored twice"
    assert unacked_rows == set(), f"stored but never acknowledged: {sorted(unacked_rows)[:10]}"
    assert mismatched == set(), f"ack differs from the stored row: {sorted(mismatched)[:10]}"
    assert missing_for_members == [], f"members missing messages: {missing_for_members[:10]}"
    # Only a resend answered `duplicate: true` is published twice; nothing else repeats live.
    republished = set().union(*(client.record.duplicate_acked_ids for client in clients))
    repeated = set().union(*(client.record.live_duplicate_ids for client in clients))
    assert repeated <= republished, f"live repeats of messages never resent: {sorted(repeated - republished)[:10]}"
    assert drain_outages, "the drained process held no socket"
    assert {o.close_code for o in drain_outages} == {1012}
    assert kill_outages, "the killed process held no socket"
    assert max(o.back_after_s for o in outages) < BACK_WITHIN_S

    # -- presence in tandem_userstatus: everyone online. (Its `connections` column overcounts
    # users whose socket died with the killed process: see test_status_row_after_kill.py.)
    def statuses() -> dict[str, tuple[bool, int] | None]:
        rows = {s.user_id: (s.online, s.connections) for s in UserStatus.objects.filter(user__in=users)}
        return {u.username: rows.get(u.pk) for u in users}

    # The killed process's lease ends after its ttl; a surviving process sweeps it on a heartbeat.
    sweep_within_s = presence_intervals["presence_lease_ttl"] + 4 * presence_intervals["presence_heartbeat"]
    try:
        poll(lambda: all(s is not None and s[0] for s in statuses().values()), 10, "everyone online")
    finally:
        print("tandem_userstatus (online, connections):", statuses())
    time.sleep(max(0.0, kill_at + sweep_within_s - time.monotonic()))

    # -- presence as users see it: a contact's last socket closing is announced offline ----------
    # A user whose socket died with the killed process, now connected elsewhere: closing that
    # last socket must announce offline, so the dead process's lease no longer counts for them.
    index = next(
        i for i, c in enumerate(clients) if c.record.outages and c.record.outages[-1].close_code is None
    )
    leaving, watcher = clients[index], clients[(index + 1) % len(clients)]  # ring neighbours: contacts
    watcher.idle(1.0)  # read the backlog first: only what follows the close counts
    leaving.close()
    poll(
        lambda: UserStatus.objects.get(user_id=leaving.user_id).online is False,
        presence_intervals["presence_grace"] + 10,
        f"{leaving.user_name} offline after closing the last socket",
    )
    seen_offline = False
    deadline = time.monotonic() + 10
    while not seen_offline and time.monotonic() < deadline:
        frame = watcher.next_frame(timeout=deadline - time.monotonic())
        if frame["type"] == "presence":
            seen_offline = any(e["user"] == leaving.user_id and not e["online"] for e in frame["users"])
    assert seen_offline, f"{watcher.user_name} was not told {leaving.user_name} went offline"
    for client in clients:
        client.close()
