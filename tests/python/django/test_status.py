"""The Django side words statuses through the shared core: template tags and the status facade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.template import Context, Template
from django.utils import timezone as dj_timezone
from tandem import status


def test_last_seen_uses_the_viewers_time_zone() -> None:
    seen = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)
    now_in_cet = datetime(2026, 11, 22, 13, 0, tzinfo=timezone(timedelta(hours=2)))
    assert status.last_seen_text(False, seen, now_in_cet) == "last seen today at 00:30"


def test_never_seen_reads_offline() -> None:
    assert status.last_seen_text(False, None, datetime(2026, 1, 1, tzinfo=UTC)) == "Offline"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        status.to_ms(datetime(2026, 1, 1))


def test_tick_icon_tag_renders_an_accessible_icon() -> None:
    html = Template('{% load tandem %}{% tick_icon "read" %}').render(Context())
    assert html == '<span class="tandem-tick tick-double-blue" role="img" aria-label="Read"></span>'


def test_unknown_tick_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown tick"):
        status.tick_icon("seen")


def test_last_seen_tag_words_presence() -> None:
    five_minutes_ago = dj_timezone.now() - timedelta(minutes=5, seconds=1)
    html = Template("{% load tandem %}{% last_seen False seen %}").render(Context({"seen": five_minutes_ago}))
    assert html == "last seen 5 minutes ago"
