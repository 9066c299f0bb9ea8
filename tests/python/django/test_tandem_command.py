"""`manage.py tandem`: prints the derived configuration as TOML without secrets, and execs the
sidecar with everything in TANDEM_* variables (secrets never in argv)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from harness.django_process import django_env
from tandem.management.commands.tandem import Command
from tandem.sidecar import launch

# The command only reads DATABASES; nothing here connects, so Django's warning does not apply.
reads_databases = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

SECRETS = ["first-secret-key", "old-secret-key", "fernet-key-1", "db pass'word", "redis-pw"]

SITE = {
    "SECRET_KEY": "first-secret-key",
    "SECRET_KEY_FALLBACKS": ["old-secret-key"],
    "DEBUG": True,
    "ALLOWED_HOSTS": [".example.com", "chat.example.org"],
    "CSRF_TRUSTED_ORIGINS": ["https://*.example.com"],
    "SESSION_COOKIE_NAME": "site_session",
    "SESSION_COOKIE_AGE": 3600,
    "DATABASES": {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "site",
            "USER": "app",
            "PASSWORD": "db pass'word",
            "HOST": "db.internal",
            "PORT": "5433",
        }
    },
    "CHANNEL_LAYERS": {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": "redis://cache-a:6379/1", "password": "redis-pw"}, ("cache-b", 6380)],
                "prefix": "site",
                "capacity": 50,
                "channel_capacity": {"tandem.bridge": 1000, re.compile(r"^specific\..*"): 200},
                "symmetric_encryption_keys": ["fernet-key-1"],
            },
        }
    },
    "TANDEM": {
        "listen": "0.0.0.0:9000",
        "threads": 2,
        "permessage_deflate": True,
        "sidecar": "/opt/tandem/bin/x",
    },
}


def printed_config(**options: Any) -> tuple[str, dict[str, Any]]:
    out = io.StringIO()
    call_command("tandem", print_config=True, stdout=out, **options)
    return out.getvalue(), tomllib.loads(out.getvalue())


@reads_databases
@override_settings(**SITE)
def test_print_config_derives_every_key_and_masks_secrets() -> None:
    text, config = printed_config()
    for secret in SECRETS:
        assert secret not in text
    assert config == {
        "listen": "0.0.0.0:9000",
        "threads": 2,
        "redis_hosts": ["redis://:********@cache-a:6379/1", "redis://cache-b:6380/0"],
        "layer_prefix": "site",
        "layer_expiry": 60,
        "layer_group_expiry": 86400,
        "layer_capacity": 50,
        "layer_channel_capacity": ["tandem.bridge=1000", r"re:^specific\..*=200"],
        "layer_symmetric_encryption_keys": ["********"],
        "layer_serializer_format": "msgpack",
        "database": "host=db.internal port=5433 dbname=site user=app password=******** client_encoding=UTF8",
        "secret_key": "********",
        "secret_key_fallbacks": ["********"],
        "session_engine": "db",
        "session_cookie_name": "site_session",
        "session_cookie_age": 3600,
        "authentication_backends": ["django.contrib.auth.backends.ModelBackend"],
        "session_table": "django_session",
        "user_table": "auth_user",
        "chat_member_table": "tandem_chatmember",
        "debug": True,
        "allowed_hosts": [".example.com", "chat.example.org"],
        "csrf_trusted_origins": ["https://*.example.com"],
        "permessage_deflate": True,
    }


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies")
def test_signed_cookie_sessions_have_no_table() -> None:
    _, config = printed_config()
    assert config["session_engine"] == "signed_cookies"
    assert "session_table" not in config


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_cached_db_sessions_are_read_from_their_table() -> None:
    _, config = printed_config()
    assert (config["session_engine"], config["session_table"]) == ("cached_db", "django_session")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"SESSION_ENGINE": "django.contrib.sessions.backends.cache"},
            "SESSION_ENGINE .*backends.cache.* not supported",
        ),
        (
            {"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}},
            "needs PostgreSQL",
        ),
        ({"DATABASES": {}}, "no 'default' database"),
        (
            {"CHANNEL_LAYERS": {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}},
            "RedisChannelLayer",
        ),
        ({"TANDEM": {"thread": 4}}, "unknown key.*thread"),
        ({"SESSION_SERIALIZER": "my.PickleSerializer"}, "JSONSerializer"),
    ],
)
@reads_databases
def test_settings_the_sidecar_cannot_follow_are_a_command_error(
    overrides: dict[str, Any], message: str
) -> None:
    with override_settings(**overrides), pytest.raises(CommandError, match=message):
        printed_config()


@pytest.fixture
def exec_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str], dict[str, str]]]:
    calls: list[tuple[str, list[str], dict[str, str]]] = []
    monkeypatch.setattr(launch.os, "execvpe", lambda file, args, env: calls.append((file, args, env)))
    return calls


@reads_databases
@override_settings(**SITE)
def test_the_sidecar_gets_its_configuration_in_the_environment(exec_calls: list[Any]) -> None:
    Command().run_from_argv(["manage.py", "tandem", "--", "--log-level", "debug"])
    ((binary, argv, env),) = exec_calls
    assert binary == "/opt/tandem/bin/x"  # TANDEM["sidecar"]
    assert argv == [binary, "--log-level", "debug"]
    assert env["TANDEM_SECRET_KEY"] == "first-secret-key"
    assert json.loads(env["TANDEM_SECRET_KEY_FALLBACKS"]) == ["old-secret-key"]
    assert json.loads(env["TANDEM_REDIS_HOSTS"]) == [
        "redis://:redis-pw@cache-a:6379/1",
        "redis://cache-b:6380/0",
    ]
    assert "password='db pass\\'word'" in env["TANDEM_DATABASE"]
    assert (env["TANDEM_DEBUG"], env["TANDEM_THREADS"], env["TANDEM_PERMESSAGE_DEFLATE"]) == (
        "true",
        "2",
        "true",
    )
    assert json.loads(env["TANDEM_LAYER_CHANNEL_CAPACITY"]) == ["tandem.bridge=1000", r"re:^specific\..*=200"]
    assert env["PATH"] == os.environ["PATH"]  # what finds programs is inherited
    assert not any(secret in arg for secret in SECRETS for arg in argv)


@reads_databases
@override_settings(**SITE)
def test_the_sidecar_inherits_no_secret_of_djangos_environment(
    exec_calls: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "cloud-secret")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "testproject.settings")
    monkeypatch.setenv("PGSSLROOTCERT", "/etc/ssl/db-ca.pem")
    monkeypatch.setenv("TANDEM_LOG_LEVEL", "debug")
    Command().run_from_argv(["manage.py", "tandem"])
    ((_, _, env),) = exec_calls
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert "DJANGO_SETTINGS_MODULE" not in env
    assert (env["PGSSLROOTCERT"], env["TANDEM_LOG_LEVEL"]) == ("/etc/ssl/db-ca.pem", "debug")


@reads_databases
@override_settings(**SITE)
def test_print_config_masks_the_ssl_key_password() -> None:
    database = {**SITE["DATABASES"]["default"], "OPTIONS": {"sslpassword": "key-unlock-pw"}}
    with override_settings(DATABASES={"default": database}):
        text, config = printed_config()
    assert "key-unlock-pw" not in text
    assert "sslpassword=********" in config["database"]


def test_sidecar_flag_wins(exec_calls: list[Any]) -> None:
    call_command("tandem", sidecar="/usr/local/bin/tandem-sidecar")
    assert exec_calls[0][0] == "/usr/local/bin/tandem-sidecar"


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_binary_is_looked_for_next_to_python_then_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    with pytest.raises(launch.ConfigError, match="--sidecar PATH"):
        launch.find_sidecar(None, None)
    on_path = executable(tmp_path / "elsewhere" / "tandem-sidecar")
    assert launch.find_sidecar(None, None) == str(on_path)
    beside = executable(tmp_path / "venv" / "bin" / "tandem-sidecar")
    assert launch.find_sidecar(None, None) == str(beside)
    assert launch.find_sidecar(None, "/configured") == "/configured"
    assert launch.find_sidecar("/flag", "/configured") == "/flag"


def test_a_missing_binary_is_a_command_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="tandem-sidecar was not found"):
        call_command("tandem")


def test_manage_py_tandem_execs_the_binary_with_the_environment(tmp_path: Path) -> None:
    """The real path: a child `python -m django tandem` replaces itself with the 'sidecar'
    (here a shell that prints what it was given)."""
    script = 'printf "%s\\n" "$TANDEM_SECRET_KEY" "$TANDEM_ALLOWED_HOSTS" "$TANDEM_DATABASE" "$@"'
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "tandem",
            "--sidecar",
            "/bin/sh",
            "--",
            "-c",
            script,
            "sh",
            "--threads",
            "4",
        ],
        env=django_env(TANDEM_TEST_DATABASE_URL="postgresql://app:pw@db.internal:5432/site"),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.splitlines() == [
        "tandem-tests-only-not-secret",
        '["localhost", "127.0.0.1"]',
        "host=db.internal port=5432 dbname=site user=app password=pw client_encoding=UTF8",
        "--threads",
        "4",
    ]
