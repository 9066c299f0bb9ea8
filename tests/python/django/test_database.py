"""The test database is what the sidecar will meet: a real PostgreSQL that checks passwords,
reached through the libpq string `manage.py tandem` derives from the settings."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.conf import settings
from harness.postgres_server import PostgresServer
from tandem.models import Chat
from tandem.sidecar.config import sidecar_config


def test_a_wrong_password_is_refused(postgres_server: PostgresServer) -> None:
    wrong = postgres_server.conninfo() + " password=wrong"  # libpq: the last value of a key wins
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5).close()
    with psycopg.connect(postgres_server.url(), connect_timeout=5) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (postgres_server.user,)


@pytest.mark.django_db(transaction=True)
def test_the_derived_conninfo_sees_what_django_committed(
    django_user_model: Any, session_cookie: Any, postgres_server: PostgresServer
) -> None:
    ann, bob = (django_user_model.objects.create_user(name, password="pw") for name in ("ann", "bob"))
    chat = Chat.create_with_members([ann, bob])
    cookie = session_cookie(ann)
    config = sidecar_config(settings)
    assert f"port={postgres_server.port}" in config["database"]
    # A separate libpq connection, as the sidecar's: committed rows only.
    with psycopg.connect(str(config["database"]), connect_timeout=5) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (
            settings.DATABASES["default"]["NAME"],
        )
        members = conn.execute(
            f"SELECT user_id FROM {config['chat_member_table']} WHERE chat_id = %s ORDER BY user_id",
            [chat.pk],
        ).fetchall()
        session = conn.execute(
            f"SELECT session_data FROM {config['session_table']} WHERE session_key = %s", [cookie]
        ).fetchone()
    assert members == [(ann.pk,), (bob.pk,)]
    assert session is not None
