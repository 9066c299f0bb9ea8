"""Django system checks: each misconfiguration the sidecar cannot follow has its own id and
message in `manage.py check`, and a fresh Django project with Tandem added passes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import checks
from django.db import connection, models
from django.test import override_settings
from django.test.utils import isolate_apps
from tandem import checks as tandem_checks
from tandem.sidecar import sessions

REPO = Path(__file__).resolve().parents[3]

# The checks read DATABASES; nothing here connects unless a test asks for the database.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def ids(**kwargs: Any) -> list[str]:
    return sorted(message.id or "" for message in checks.run_checks(tags=["tandem"], **kwargs))


def test_the_test_project_passes() -> None:
    assert ids() == []


@pytest.mark.parametrize(
    ("overrides", "check_id", "message"),
    [
        (
            {"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}},
            "tandem.E001",
            "PostgreSQL",
        ),
        (
            {
                "DATABASES": {
                    "default": {
                        "ENGINE": "django.db.backends.postgresql",
                        "NAME": "x",
                        "OPTIONS": {"isolation_level": 2},  # psycopg's REPEATABLE_READ
                    }
                }
            },
            "tandem.E010",
            "need READ COMMITTED",
        ),
        ({"CHANNEL_LAYERS": {}}, "tandem.E002", "no 'default' layer"),
        (
            {"CHANNEL_LAYERS": {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}},
            "tandem.E002",
            "RedisChannelLayer",
        ),
        (
            {
                "CHANNEL_LAYERS": {
                    "default": {
                        "BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"random_prefix_length": 8},
                    }
                }
            },
            "tandem.E002",
            "random_prefix_length 8 is not supported",
        ),
        (
            {
                "CHANNEL_LAYERS": {
                    "default": {
                        "BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"hosts": ["127.0.0.1:6379"]},
                    }
                }
            },
            "tandem.E002",
            r"'127.0.0.1:6379' is not a form channels_redis accepts; use \"redis://",
        ),
        (
            {
                "CHANNEL_LAYERS": {
                    "default": {
                        "BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"hosts": ["redis://h:6379"], "max_conns": 3},
                    }
                }
            },
            "tandem.E002",
            "does not know: max_conns",
        ),
        ({"SESSION_ENGINE": "django.contrib.sessions.backends.cache"}, "tandem.E003", "not supported"),
        ({"SESSION_SERIALIZER": "my.PickleSerializer"}, "tandem.E004", "JSON"),
        ({"TANDEM": {"thread": 4}}, "tandem.E006", "unknown key.*thread"),
        (
            {"TEMPLATES": [{"BACKEND": "django.template.backends.django.DjangoTemplates", "OPTIONS": {}}]},
            "tandem.E007",
            "request context processor",
        ),
        (
            {
                "INSTALLED_APPS": [
                    "django.contrib.auth",
                    "django.contrib.contenttypes",
                    "django.contrib.sessions",
                    "tandem",
                ]
            },
            "tandem.E008",
            "'channels' is not in INSTALLED_APPS",
        ),
    ],
)
def test_each_misconfiguration_has_its_own_check_id(
    overrides: dict[str, Any], check_id: str, message: str
) -> None:
    with override_settings(**overrides):
        found = [m for m in checks.run_checks(tags=["tandem"]) if m.id == check_id]
    assert len(found) == 1, found
    assert re.search(message, found[0].msg), found[0].msg


@isolate_apps("tandem")
def test_a_user_model_without_an_integer_key_is_tandem_e005(monkeypatch: pytest.MonkeyPatch) -> None:
    class UUIDUser(AbstractBaseUser):
        id = models.UUIDField(primary_key=True)
        is_active = models.BooleanField(default=True)

        class Meta:
            app_label = "tandem"

    monkeypatch.setattr(sessions, "get_user_model", lambda: UUIDUser)
    found = [m for m in checks.run_checks(tags=["tandem"]) if m.id == "tandem.E005"]
    assert len(found) == 1
    assert "UUIDField primary key" in found[0].msg


@pytest.mark.django_db
def test_a_database_with_another_sql_contract_version_is_reported() -> None:
    assert tandem_checks.check_schema_version(databases=["default"]) == []
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION tandem_schema_version() RETURNS integer LANGUAGE sql AS 'SELECT 3'"
        )
    (newer,) = tandem_checks.check_schema_version(databases=["default"])
    assert newer.id == "tandem.E009"
    with connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION tandem_schema_version()")
    (older,) = tandem_checks.check_schema_version(databases=["default"])
    assert (older.id, older.hint) == ("tandem.W009", "run manage.py migrate tandem")


FRESH_SETTINGS = """
INSTALLED_APPS += ["channels", "tandem"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "site"}}
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"]}}
}
"""


def test_a_fresh_django_project_with_tandem_passes_manage_py_check(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "freshsite", str(tmp_path)],
        env=env,
        check=True,
        timeout=120,
    )
    with (tmp_path / "freshsite" / "settings.py").open("a") as settings_file:
        settings_file.write(FRESH_SETTINGS)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=tmp_path,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


class TandemInChats:
    """Tandem's models in the "chats" database, everything else in "default"."""

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "chats" if model._meta.app_label == "tandem" else None


STRICT = {"ENGINE": "django.db.backends.postgresql", "NAME": "x", "OPTIONS": {"isolation_level": 2}}
PLAIN = {"ENGINE": "django.db.backends.postgresql", "NAME": "y"}


def test_the_isolation_check_reads_the_database_the_routers_give_tandem() -> None:
    """E010's hint says to route Tandem's tables to a READ COMMITTED alias: doing so clears it,
    and a strict alias that Tandem is routed to is reported by name."""
    routers = [f"{__name__}.TandemInChats"]
    with override_settings(DATABASES={"default": STRICT, "chats": PLAIN}, DATABASE_ROUTERS=routers):
        assert "tandem.E010" not in ids()
    with override_settings(DATABASES={"default": PLAIN, "chats": STRICT}, DATABASE_ROUTERS=routers):
        (message,) = [m for m in checks.run_checks(tags=["tandem"]) if m.id == "tandem.E010"]
        assert "DATABASES['chats']" in message.msg
