"""The first save of a user's privacy settings from several tabs at once: every request
succeeds and one row results (no unique violation between the read and the insert)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from tandem.models import UserSettings


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_saves_all_succeed(django_user_model: Any) -> None:
    ann = django_user_model.objects.create_user("ann", password="pw")
    tabs = 8
    start = threading.Barrier(tabs)
    statuses: list[int] = []

    def tab() -> None:
        try:
            browser = Client(raise_request_exception=False)
            browser.force_login(ann)
            start.wait(timeout=30)
            response = browser.post(
                "/tandem/api/settings/privacy/",
                json.dumps({"read_receipts": False}),
                content_type="application/json",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * tabs
    assert UserSettings.objects.get(user=ann).read_receipts is False
