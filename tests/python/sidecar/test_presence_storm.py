"""Many members of one group arriving at once (a class starting, an office opening): every
arrival changes everyone's presence, but each socket gets its changes batched into presence
frames (at most one per `presence_frame_interval`), so the storm costs O(members) frames, not
one frame per arrival per member already there (O(members²)). The arrival's own snapshot does
not wait for its announcement to everyone else."""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack
from typing import Any

from test_messaging_scale_out import own_session
from websockets.sync.client import ClientConnection
from wsclient import next_frame, open_socket

MEMBERS = 60
# Frames per member the storm may cost: the snapshot, plus one batch per frame interval the
# arrivals span (a few on a busy machine). Without batching it is about MEMBERS / 2.
FRAMES_PER_MEMBER = 10


def read_until_everyone_online(ws: ClientConnection, others: set[int], seen: dict[int, bool]) -> int:
    """Reads presence frames until every one of `others` shows online; returns how many came."""
    frames = 0
    while not all(seen.get(user) for user in others):
        frame = next_frame(ws, timeout=30)
        if frame["type"] != "presence":
            continue
        frames += 1
        for entry in frame["users"]:
            seen[entry["user"]] = entry["online"]
    return frames


def test_a_storm_of_arrivals_costs_each_member_a_bounded_number_of_presence_frames(
    transactional_db: None, django_user_model: Any, make_sidecar: Any
) -> None:
    from tandem.models import Chat

    django_user_model.objects.bulk_create(django_user_model(username=f"member{i}") for i in range(MEMBERS))
    members = list(django_user_model.objects.filter(username__startswith="member").order_by("pk"))
    Chat.create_with_members(members)
    cookies = [own_session(user) for user in members]
    sidecar = make_sidecar()
    url = sidecar.ws_url("/ws/notifications/")
    with ExitStack() as stack:
        sockets: list[ClientConnection] = []
        seen: list[dict[int, bool]] = []
        frames: list[int] = []
        to_snapshot: list[float] = []
        started = time.monotonic()
        for user, cookie in zip(members, cookies, strict=True):
            opened = time.monotonic()
            ws = stack.enter_context(open_socket(url, cookie))
            assert next_frame(ws, 15)["type"] == "hello"
            state: dict[int, bool] = {}
            count = 0
            while True:  # up to and including the snapshot (which lists the whole group)
                frame = next_frame(ws, 15)
                assert frame["type"] == "presence", frame
                count += 1
                for entry in frame["users"]:
                    state[entry["user"]] = entry["online"]
                if len(state) >= MEMBERS - 1 and user.pk not in state:
                    break
            to_snapshot.append(time.monotonic() - opened)
            sockets.append(ws)
            seen.append(state)
            frames.append(count)
        arrivals = time.monotonic() - started
        for i, (user, ws) in enumerate(zip(members, sockets, strict=True)):
            others = {m.pk for m in members if m.pk != user.pk}
            frames[i] += read_until_everyone_online(ws, others, seen[i])
    total = sum(frames)
    print(
        f"presence storm: {MEMBERS} members, {total} presence frames, arrivals over {arrivals:.2f} s, "
        f"connect->snapshot median {statistics.median(to_snapshot) * 1000:.0f} ms "
        f"max {max(to_snapshot) * 1000:.0f} ms"
    )
    assert total <= FRAMES_PER_MEMBER * MEMBERS, frames
