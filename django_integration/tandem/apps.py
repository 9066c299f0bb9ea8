"""The Django app configuration for Tandem."""

from __future__ import annotations

from django.apps import AppConfig


class TandemConfig(AppConfig):
    name = "tandem"
    verbose_name = "Tandem real-time chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks (manage.py check, runserver, migrate) and the receivers
        # by which membership and privacy rows changed through the ORM tell the sockets concerned.
        from tandem import checks, signals  # noqa: F401
