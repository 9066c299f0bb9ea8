"""Invariants of the shared rules, checked from Python with hypothesis (300 examples each)."""

from __future__ import annotations

import itertools

import hypothesis.strategies as st
import tandem_core as tc
from hypothesis import given

events = st.sampled_from(list(tc.TickEvent))
times = st.integers(min_value=0, max_value=2**41)
event_sequences = st.lists(st.tuples(events, times), max_size=20)
server_ticks = st.sampled_from([tc.Tick.SENT, tc.Tick.DELIVERED, tc.Tick.READ])
kinds = st.sampled_from(list(tc.ReceiptKind))
receipts = st.lists(st.tuples(kinds, st.integers(min_value=0, max_value=10_000)), max_size=15)


@given(event_sequences)
def test_status_never_regresses_under_any_sequence_of_events(
    sequence: list[tuple[tc.TickEvent, int]],
) -> None:
    status = tc.MessageStatus()
    for event, at in sequence:
        after, changed = tc.advance(status, event, at)
        assert tc.server_rank(after.state) >= tc.server_rank(status.state)
        for stamp in ("sent_at", "delivered_at", "read_at"):
            if getattr(status, stamp) is not None:
                assert getattr(after, stamp) == getattr(status, stamp)
        assert changed == (after != status)
        status = after


@given(event_sequences, events, times)
def test_an_event_applied_twice_changes_nothing_the_second_time(
    prefix: list[tuple[tc.TickEvent, int]], event: tc.TickEvent, at: int
) -> None:
    status = tc.MessageStatus()
    for e, t in prefix:
        status, _ = tc.advance(status, e, t)
    if event in (tc.TickEvent.FAILED, tc.TickEvent.RETRIED):
        return  # these toggle between pending and failed by design
    once, _ = tc.advance(status, event, at)
    twice, changed = tc.advance(once, event, at + 1)
    assert not changed
    assert twice == once


@given(st.lists(server_ticks, max_size=30), st.randoms())
def test_aggregation_is_independent_of_order(ticks: list[tc.Tick], rnd) -> None:
    shuffled = list(ticks)
    rnd.shuffle(shuffled)
    assert tc.aggregate_ticks(shuffled) == tc.aggregate_ticks(ticks)


@given(st.lists(server_ticks, min_size=1, max_size=30))
def test_group_is_read_only_when_every_recipient_read(ticks: list[tc.Tick]) -> None:
    result = tc.aggregate_ticks(ticks)
    assert (result == tc.Tick.READ) == all(t == tc.Tick.READ for t in ticks)
    assert tc.server_rank(result) == min(tc.server_rank(t) for t in ticks)


def fold(receipt_list: list[tuple[tc.ReceiptKind, int]]) -> tc.ReceiptMarker:
    marker = tc.ReceiptMarker()
    for kind, upto in receipt_list:
        marker, _ = tc.apply_receipt(marker, kind, upto)
    return marker


@given(receipts, st.randoms())
def test_receipts_applied_twice_or_reordered_change_nothing(
    receipt_list: list[tuple[tc.ReceiptKind, int]], rnd
) -> None:
    once = fold(receipt_list)
    shuffled = list(receipt_list)
    rnd.shuffle(shuffled)
    assert fold(shuffled) == once
    assert fold(receipt_list + receipt_list) == once
    assert once.read_upto <= once.delivered_upto
    for kind, upto in receipt_list:
        _, changed = tc.apply_receipt(once, kind, upto)
        assert not changed


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), max_size=12), st.integers(1, 100))
def test_group_tick_from_markers_agrees_with_tick_aggregation(pairs: list[tuple[int, int]], seq: int) -> None:
    markers = [fold([(tc.ReceiptKind.DELIVERED, d), (tc.ReceiptKind.READ, r)]) for d, r in pairs]
    expected = tc.aggregate_ticks([tc.tick_for(m, seq) for m in markers])
    assert tc.aggregate_markers(markers, seq) == expected


@given(st.integers(1, 5), st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_reconnect_delays_are_bounded_and_the_first_is_within_two_seconds(attempt: int, r: float) -> None:
    delay = tc.backoff_delay(tc.RECONNECT_BACKOFF, attempt, r)
    assert delay is not None
    assert 0 < delay <= tc.RECONNECT_BACKOFF.max_ms * 1.5
    if attempt == 1:
        assert delay < 2000


@given(st.lists(st.integers(0, 400), min_size=1, max_size=200))
def test_a_keystroke_flood_forwards_at_most_one_start_per_interval(gaps: list[int]) -> None:
    policy = tc.TypingPolicy()
    state, now, forwarded = tc.TypistState(), 0, []
    for gap in gaps:
        now += gap
        state, signal = tc.on_typing_start(state, now, policy)
        if signal == tc.TypingSignal.START:
            forwarded.append(now)
    assert forwarded[0] == gaps[0]
    assert all(b - a >= policy.start_interval_ms for a, b in itertools.pairwise(forwarded))


# The body rule of docs/protocol.md ("Message bodies"), written out independently of the core.
REFUSED_CONTROLS = frozenset(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r")
BLANK = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u180e\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
) | frozenset(chr(c) for c in range(0x2000, 0x200E))


def acceptable(text: str) -> bool:
    return not any(c in REFUSED_CONTROLS for c in text) and not all(c in BLANK for c in text)


@given(st.binary(max_size=300))
def test_body_validation_never_raises_on_arbitrary_bytes(body: bytes) -> None:
    verdict = tc.validate_body(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        assert verdict is not None
        assert verdict.code == tc.ErrorCode.BODY_NOT_UTF8
        return
    if any(c in REFUSED_CONTROLS for c in text):
        assert verdict is not None
        assert verdict.code == tc.ErrorCode.INVALID_FIELD
    elif all(c in BLANK for c in text):
        assert verdict is not None
        assert verdict.code == tc.ErrorCode.BODY_EMPTY
    else:
        assert verdict is None


@given(st.text(alphabet=st.sampled_from(sorted(BLANK | {"a", "\u200b", "\x00"})), max_size=20))
def test_blank_bodies_are_empty_whatever_white_space_they_use(text: str) -> None:
    verdict = tc.validate_body(text)
    if any(c in REFUSED_CONTROLS for c in text):  # NUL, and the controls among white space
        assert verdict is not None
        assert verdict.code == tc.ErrorCode.INVALID_FIELD
    elif all(c in BLANK for c in text):
        assert verdict is not None
        assert verdict.code == tc.ErrorCode.BODY_EMPTY
    else:
        assert verdict is None


@given(st.text(max_size=5000).filter(acceptable))
def test_body_length_counts_code_points_like_python(text: str) -> None:
    verdict = tc.validate_body(text)
    if len(text) > 4096:
        assert verdict is not None
        assert verdict.code == tc.ErrorCode.BODY_TOO_LONG
    else:
        assert verdict is None


@given(st.booleans(), st.one_of(st.none(), times), times, st.integers(-14 * 60, 14 * 60))
def test_last_seen_text_is_always_one_of_the_known_shapes(online: bool, seen, now: int, offset: int) -> None:
    text = tc.last_seen_text(online, seen, now, offset)
    if online:
        assert text == "Online"
    elif seen is None:
        assert text == "Offline"
    else:
        assert text.startswith("last seen ")
