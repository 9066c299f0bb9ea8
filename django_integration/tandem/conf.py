"""`settings.TANDEM`, read in one place: `tandem_settings.max_body_chars` is the site's value or
the sidecar's default (sidecar/app/sidecar_config.hpp; tests/python/django/test_conf.py compares
them with `tandem-sidecar --print-config`), so Django and the sidecar apply the same limits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

# The sidecar's defaults for the keys Django itself reads.
DEFAULTS: dict[str, Any] = {
    "max_body_chars": 4096,
    "history_first_page": 50,
    "history_page": 20,
    "history_max_page": 100,
    "sync_max_messages": 1000,
    "history_from_join": False,
    "pending_expiry": 7 * 86400.0,
    "notifications_max_chats": 1000,
    "group_prefix": "",
    # Publishes one Django process (or one sidecar I/O thread) holds through a layer outage.
    "republish_capacity": 10000,
    # Django-only keys (never passed to the binary).
    "public_url": "",
    "sidecar": "",
    "receipt_retention": 90 * 86400.0,  # seconds the receipt log keeps a row (manage.py tandem prune)
}


class TandemSettings:
    """Attribute access to settings.TANDEM with the defaults above; re-read when a test
    overrides TANDEM."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        if self._cache is None:
            self._cache = dict(getattr(settings, "TANDEM", {}) or {})
        return self._cache

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_") or key not in DEFAULTS:
            raise AttributeError(f"tandem has no setting {key!r}")
        return self.user_settings.get(key, DEFAULTS[key])

    def reload(self) -> None:
        self._cache = None


tandem_settings = TandemSettings()


def _reload(*, setting: str, **_: Any) -> None:
    if setting == "TANDEM":
        tandem_settings.reload()


setting_changed.connect(_reload)
