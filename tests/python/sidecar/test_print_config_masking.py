"""--print-config never shows a password: the libpq string is parsed by libpq itself
(PQconninfoParse) and rebuilt with *** for secret options, whatever quoting the site used,
and the output stays valid TOML. A property test over generated connection strings."""

from __future__ import annotations

import functools
import tomllib
from urllib.parse import quote

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict
from test_configuration import effective, run_sidecar

PASSWORDS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=3, max_size=30)
OTHERS = {"host": "db.internal", "dbname": "site", "user": "django", "port": "5432"}


def keyword_form(password: str, style: str, position: int) -> str:
    if style == "quoted":
        value = "'" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"
    else:  # unquoted: only when libpq can read it that way
        assume(not any(c.isspace() or c in "'\\" for c in password))
        value = password
    pairs = [f"{k}={v}" for k, v in OTHERS.items()]
    pairs.insert(position % (len(pairs) + 1), f"password = {value}" if position % 2 else f"password={value}")
    return " ".join(pairs)


def uri_form(password: str) -> str:
    return f"postgresql://django:{quote(password, safe='')}@db.internal:5432/site"


@functools.cache
def baseline() -> str:
    """The printed configuration for a password that cannot collide with anything."""
    return run_sidecar("--print-config", env={"TANDEM_DATABASE": uri_form("\x01")}).stdout


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(password=PASSWORDS, style=st.sampled_from(["quoted", "unquoted", "uri"]), position=st.integers(0, 9))
def test_no_password_reaches_the_printed_configuration(password: str, style: str, position: int) -> None:
    conninfo = uri_form(password) if style == "uri" else keyword_form(password, style, position)
    assert conninfo_to_dict(conninfo)["password"] == password  # the site's string is what libpq reads
    assume(password not in baseline())  # text that is printed anyway (names, defaults) is no leak
    result = run_sidecar("--print-config", env={"TANDEM_DATABASE": conninfo})
    assert result.returncode == 0, result.stderr
    assert password not in result.stdout
    printed = tomllib.loads(result.stdout)["database"]
    assert conninfo_to_dict(printed) == {**OTHERS, "password": "***"}


def test_the_issues_examples_are_masked() -> None:
    quoted = effective(env={"TANDEM_DATABASE": "host=db password='se cret\\'tail'"})["database"]
    assert "tail" not in quoted
    assert "cret" not in quoted
    last = effective(env={"TANDEM_DATABASE": "host=db dbname=site password=hunter2"})  # valid TOML
    assert conninfo_to_dict(last["database"]) == {"host": "db", "dbname": "site", "password": "***"}


def test_an_unparsable_string_is_masked_whole() -> None:
    assert effective(env={"TANDEM_DATABASE": "host=db password='unterminated"})["database"] == "***"


def test_a_redis_password_holding_at_signs_is_masked() -> None:
    got = effective(env={"TANDEM_REDIS_HOSTS": "redis://:p@ss@word@redis:6379/0"})
    assert got["redis_hosts"] == ["redis://:***@redis:6379/0"]
    assert tomllib.loads(run_sidecar("--print-config").stdout)["database"] == ""
