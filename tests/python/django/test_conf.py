"""tandem.conf: settings.TANDEM read in one place, with the sidecar's own defaults."""

from __future__ import annotations

import os
import subprocess
import tomllib
from typing import Any

import pytest
from django.test import RequestFactory, override_settings
from harness.sidecar_process import sidecar_binary
from tandem.conf import DEFAULTS, tandem_settings

DJANGO_ONLY = {"public_url", "sidecar", "receipt_retention"}


def test_the_defaults_are_the_sidecars() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    printed = subprocess.run(
        [str(sidecar_binary()), "--print-config"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    sidecar = tomllib.loads(printed)
    assert {key: sidecar[key] for key in DEFAULTS if key not in DJANGO_ONLY} == {
        key: value for key, value in DEFAULTS.items() if key not in DJANGO_ONLY
    }


def test_a_site_value_wins_and_an_override_is_seen_at_once() -> None:
    assert tandem_settings.max_body_chars == 4096
    with override_settings(TANDEM={"max_body_chars": 10}):
        assert tandem_settings.max_body_chars == 10
    assert tandem_settings.max_body_chars == 4096


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no setting 'max_bdy_chars'"):
        _ = tandem_settings.max_bdy_chars


@pytest.mark.django_db
@override_settings(TANDEM={"max_body_chars": 10})
def test_the_browser_is_told_the_sites_body_limit(django_user_model: Any) -> None:
    from tandem.client_config import client_config
    from tandem.models import Chat

    ann = django_user_model.objects.create_user("ann", password="pw")
    request = RequestFactory().get("/")
    request.user = ann
    config = client_config(request, Chat.create_with_members([ann]))
    assert config["limits"]["max_body_chars"] == 10
