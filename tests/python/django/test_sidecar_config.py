"""Django settings become the sidecar's configuration: libpq strings that libpq itself parses
back, Redis hosts in every channels_redis form, and refusals that say what to change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict
from tandem.sidecar.config import overrides
from tandem.sidecar.database import conninfo_from_django, parse_conninfo
from tandem.sidecar.errors import ConfigError
from tandem.sidecar.keys import CONFIG_KEYS
from tandem.sidecar.layer import capacity_entries, layer_config
from tandem.sidecar.masking import MASK, mask_conninfo, mask_url
from tandem.sidecar.redis_hosts import redis_url, redis_urls
from tandem.sidecar.sessions import session_engine

DOCS = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
AWKWARD = ["", "plain", "two words", "it's", "back\\slash", "tab\there", " lead", "=eq", "'\\' ' \\\\"]


def postgres(**fields: object) -> dict[str, object]:
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "site",
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS": {},
        **fields,
    }


def test_the_key_list_is_the_documented_one() -> None:
    # The key tables are the ones with a default column: `| key | default | meaning |`.
    rows = re.findall(
        r"^\| `([a-z_]+)` \| (`[^|]*`|\(required\)) \|", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE
    )
    documented = [key for key, _ in rows]
    assert list(CONFIG_KEYS) == documented


@pytest.mark.parametrize("password", AWKWARD)
def test_libpq_reads_back_every_value_as_given(password: str) -> None:
    conninfo = conninfo_from_django(postgres(USER="u v", PASSWORD=password, HOST="db.example", PORT="6543"))
    parsed = conninfo_to_dict(conninfo)  # libpq's own parser (PQconninfoParse)
    # Django leaves an empty password out, and so does the conninfo.
    assert parsed == {
        "host": "db.example",
        "port": "6543",
        "dbname": "site",
        "user": "u v",
        **({"password": password} if password else {}),
        "client_encoding": "UTF8",
    }
    assert dict(parse_conninfo(conninfo)) == parsed


def test_empty_settings_are_left_to_libpq_defaults() -> None:
    assert conninfo_from_django(postgres()) == "dbname=site client_encoding=UTF8"


def test_options_reach_libpq_but_django_only_ones_do_not() -> None:
    options = {
        "sslmode": "verify-full",
        "connect_timeout": 3,
        "keepalives": True,
        "isolation_level": 2,
        "server_side_binding": True,
        "pool": {"min_size": 2},
        "application_name": "my site",
    }
    parsed = conninfo_to_dict(conninfo_from_django(postgres(OPTIONS=options)))
    assert parsed == {
        "dbname": "site",
        "sslmode": "verify-full",
        "connect_timeout": "3",
        "keepalives": "1",
        "application_name": "my site",
        "client_encoding": "UTF8",
    }


def test_a_service_without_name_and_name_none_follow_django() -> None:
    assert conninfo_to_dict(conninfo_from_django(postgres(NAME="", OPTIONS={"service": "svc"}))) == {
        "service": "svc",
        "client_encoding": "UTF8",
    }
    assert (
        conninfo_to_dict(conninfo_from_django(postgres(NAME=None, OPTIONS={"service": "svc"})))["dbname"]
        == "postgres"
    )
    with pytest.raises(ConfigError, match="NAME"):
        conninfo_from_django(postgres(NAME=""))


@pytest.mark.parametrize("engine", ["django.db.backends.sqlite3", "django.db.backends.mysql", ""])
def test_other_databases_are_refused_by_name(engine: str) -> None:
    with pytest.raises(ConfigError, match="needs PostgreSQL"):
        conninfo_from_django(postgres(ENGINE=engine))


def test_postgis_is_postgresql() -> None:
    assert conninfo_from_django(postgres(ENGINE="django.contrib.gis.db.backends.postgis")).startswith(
        "dbname=site"
    )


@pytest.mark.parametrize(
    ("entry", "url"),
    [
        ("redis://localhost:6379", "redis://localhost:6379/0"),
        ("redis://:p%40ss@cache:6380/2", "redis://:p%40ss@cache:6380/2"),
        ("redis://user:pw@cache/3", "redis://user:pw@cache:6379/3"),
        ("redis://cache?db=4", "redis://cache:6379/4"),
        ("redis://[::1]:7000", "redis://[::1]:7000/0"),
        (("10.0.0.5", 6390), "redis://10.0.0.5:6390/0"),
        (["cache", 1], "redis://cache:1/0"),
        ({"address": "redis://cache:6379", "password": "a b&c", "db": 5}, "redis://:a%20b%26c@cache:6379/5"),
        ({"address": "redis://:url@cache:6379/1", "password": "dict", "db": 5}, "redis://:url@cache:6379/1"),
        ({"host": "cache", "port": 6381, "db": 2, "password": "pw"}, "redis://:pw@cache:6381/2"),
        ({"host": "cache", "username": "app", "password": "pw"}, "redis://app:pw@cache:6379/0"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock?db=0"),
        ("unix:///run/redis.sock?db=2&password=p%26w", "unix:///run/redis.sock?db=2&password=p%26w"),
        (
            {"address": "unix:///run/redis.sock", "password": "pw", "db": 1},
            "unix:///run/redis.sock?db=1&password=pw",
        ),
        ("rediss://app:pw@cache:6380/1", "rediss://app:pw@cache:6380/1"),
        (
            "rediss://cache:6380?ssl_ca_certs=/etc/ca.pem&ssl_cert_reqs=required",
            "rediss://cache:6380/0?ssl_ca_certs=%2Fetc%2Fca.pem&ssl_cert_reqs=required",
        ),
        (
            {"address": "rediss://cache:6380", "ssl_certfile": "/c.pem", "ssl_keyfile": "/k.pem", "ssl_cert_reqs": None},
            "rediss://cache:6380/0?ssl_certfile=%2Fc.pem&ssl_keyfile=%2Fk.pem&ssl_cert_reqs=none",
        ),
        ({"address": "rediss://cache", "ssl_cert_reqs": 1}, "rediss://cache:6379/0?ssl_cert_reqs=optional"),
        ({"address": "rediss://cache", "ssl_check_hostname": False}, "rediss://cache:6379/0?ssl_check_hostname=false"),
        (
            {"sentinels": [("s1", 26379), ("::1", 26380)], "master_name": "main", "password": "pw", "db": 2},
            "sentinel://:pw@s1:26379,[::1]:26380/2?master_name=main",
        ),
        (
            {
                "sentinels": [["s1", 26379]],
                "master_name": "main",
                "username": "app",
                "password": "pw",
                "sentinel_kwargs": {"username": "watch", "password": "spw"},
            },
            "sentinel://app:pw@s1:26379/0?master_name=main&sentinel_username=watch&sentinel_password=spw",
        ),
    ],
)
def test_every_hosts_form_becomes_a_url(entry: object, url: str) -> None:
    assert redis_url(entry) == url


def test_hosts_keep_their_order_and_default_like_channels_redis() -> None:
    assert redis_urls(["redis://b:1", "redis://a:1"]) == ["redis://b:1/0", "redis://a:1/0"]
    assert redis_urls(None) == ["redis://localhost:6379/0"]
    with pytest.raises(ConfigError, match="must be a list"):
        redis_urls("redis://a:1")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("http://cache", "'http://cache' is not a form channels_redis accepts; use \"redis://"),
        ("127.0.0.1:6379", "'127.0.0.1:6379' is not a form .* a \\(\"host\", port\\) pair"),
        ({"master_name": "m"}, "needs both 'sentinels'"),
        ({"master_name": "m", "sentinels": [("s", 26379)], "sentinel_kwargs": {"ssl": True}}, "sentinel_kwargs ssl"),
        ({"address": "redis://cache", "ssl_ca_certs": "/ca.pem"}, "ssl_ca_certs need a rediss:// address"),
        ("rediss://cache?ssl_cert_reqs=sometimes", "ssl_cert_reqs must be"),
        ({"host": "cache", "db": "x"}, "db must be a number"),
    ],
)
def test_hosts_the_sidecar_cannot_use_are_refused(entry: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        redis_url(entry)


def test_capacities_keep_globs_and_mark_compiled_regexes() -> None:
    entries = capacity_entries({"http.request": 200, re.compile(r"^websocket\.send\!.+"): 20, "a=b*": 3})
    assert entries == ["http.request=200", r"re:^websocket\.send\!.+=20", "a=b*=3"]


def test_layer_defaults_are_channels_redis_defaults() -> None:
    config = layer_config({"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}})
    assert config == {
        "redis_hosts": ["redis://localhost:6379/0"],
        "layer_prefix": "asgi",
        "layer_expiry": 60,
        "layer_group_expiry": 86400,
        "layer_capacity": 100,
        "layer_channel_capacity": [],
        "layer_symmetric_encryption_keys": [],
        "layer_serializer_format": "msgpack",
    }


def test_every_layer_option_is_carried() -> None:
    config = layer_config(
        {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [("h", 1)],
                    "prefix": "site",
                    "expiry": 30,
                    "group_expiry": 600,
                    "capacity": 7,
                    "channel_capacity": {"x.*": 2},
                    "symmetric_encryption_keys": ["k1", b"k2"],
                    "serializer_format": "json",
                },
            }
        }
    )
    assert config["layer_prefix"] == "site"
    assert (config["layer_expiry"], config["layer_group_expiry"], config["layer_capacity"]) == (30, 600, 7)
    assert config["layer_channel_capacity"] == ["x.*=2"]
    assert config["layer_symmetric_encryption_keys"] == ["k1", "k2"]
    assert config["layer_serializer_format"] == "json"


@pytest.mark.parametrize(
    "backend", ["channels_redis.pubsub.RedisPubSubChannelLayer", "channels.layers.InMemoryChannelLayer", ""]
)
def test_layers_that_cannot_reach_the_sidecar_are_refused(backend: str) -> None:
    with pytest.raises(ConfigError, match="speaks the protocol of channels_redis"):
        layer_config({"default": {"BACKEND": backend}})


def test_a_missing_default_layer_is_refused() -> None:
    with pytest.raises(ConfigError, match="no 'default' layer"):
        layer_config({})


@pytest.mark.parametrize(
    ("engine", "name"),
    [
        ("django.contrib.sessions.backends.db", "db"),
        ("django.contrib.sessions.backends.cached_db", "cached_db"),
        ("django.contrib.sessions.backends.signed_cookies", "signed_cookies"),
    ],
)
def test_session_engines_the_sidecar_reads(engine: str, name: str) -> None:
    assert session_engine(engine) == name


@pytest.mark.parametrize(
    "engine",
    ["django.contrib.sessions.backends.cache", "django.contrib.sessions.backends.file", "my.sessions"],
)
def test_other_session_engines_are_refused_with_the_alternatives(engine: str) -> None:
    with pytest.raises(ConfigError, match=rf"{re.escape(engine)}.*backends\.db.*cached_db.*signed_cookies"):
        session_engine(engine)


def test_overrides_are_checked_against_the_documented_keys() -> None:
    assert overrides(
        {"listen": "0.0.0.0:9000", "threads": 4, "sidecar": "/opt/bin/x", "allowed_origins": ("a",)}
    ) == {"listen": "0.0.0.0:9000", "threads": 4, "allowed_origins": ["a"]}
    with pytest.raises(ConfigError, match=r"unknown key.*listen_port"):
        overrides({"listen_port": 1})
    with pytest.raises(ConfigError, match="TANDEM\\['threads'\\] is a dict"):
        overrides({"threads": {}})


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
        ("redis://app:s3cret@cache:6379/0", f"redis://app:{MASK}@cache:6379/0"),
        ("redis://s3cret@cache:6379/0", f"redis://{MASK}@cache:6379/0"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("unix:///r.sock?db=0&password=s3cret", f"unix:///r.sock?db=0&password={MASK}"),
        ("postgresql://app:s3cret@db/site", f"postgresql://app:{MASK}@db/site"),
        ("postgresql://app@db/site", "postgresql://app@db/site"),
        # The sidecar reads a lone value before '@' as the password on unix:// too.
        ("unix://s3cret@/r.sock?db=1", f"unix://{MASK}@/r.sock?db=1"),
        ("redis+unix:///r.sock?password=s3cret", f"redis+unix:///r.sock?password={MASK}"),
        # Every password-like query key, in any case.
        ("redis://cache:6379?sentinel_password=s3cret", f"redis://cache:6379?sentinel_password={MASK}"),
        ("redis://cache:6379?PASSWORD=s3cret&db=1", f"redis://cache:6379?PASSWORD={MASK}&db=1"),
    ],
)
def test_urls_are_shown_without_passwords(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize("password", AWKWARD[1:])
def test_conninfo_is_shown_without_its_password(password: str) -> None:
    conninfo = conninfo_from_django(postgres(USER="app", PASSWORD=password))
    shown = mask_conninfo(conninfo)
    assert conninfo_to_dict(shown) == {**conninfo_to_dict(conninfo), "password": MASK}
