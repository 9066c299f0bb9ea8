"""The sidecar's configuration sources and their order: flag > environment > TOML file >
default (docs/configuration.md); bad input is a clear error and exit status 2."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

from harness.sidecar_process import sidecar_binary


def run_sidecar(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    return subprocess.run(
        [str(sidecar_binary()), *args],
        check=False,  # the exit status is what the tests look at
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
    )


def effective(*args: str, env: dict[str, str] | None = None) -> dict:
    result = run_sidecar("--print-config", *args, env=env)
    assert result.returncode == 0, result.stderr
    return tomllib.loads(result.stdout)


def test_flags_beat_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text('rate_burst = 7\nlayer_prefix = "file"\nthreads = 3\nallowed_hosts = ["a.example"]\n')
    got = effective(
        "--config",
        str(config),
        "--threads",
        "5",
        env={
            "TANDEM_LAYER_PREFIX": "env",
            "TANDEM_THREADS": "4",
            "TANDEM_ALLOWED_HOSTS": '["b.example", "c"]',
        },
    )
    assert got["rate_burst"] == 7  # only in the file
    assert got["layer_prefix"] == "env"  # environment over file
    assert got["threads"] == 5  # flag over both
    assert got["allowed_hosts"] == ["b.example", "c"]
    assert got["max_message_bytes"] == 65536  # default


def test_print_config_masks_secrets(tmp_path: Path) -> None:
    got = effective(
        env={
            "TANDEM_SECRET_KEY": "s3cret",
            "TANDEM_DATABASE": "host=db password=hunter2 dbname=site",
            "TANDEM_REDIS_HOSTS": "redis://:pw@redis:6379/0",
        }
    )
    assert got["secret_key"] == "***"
    assert "hunter2" not in got["database"]
    assert got["redis_hosts"] == ["redis://:***@redis:6379/0"]


def test_an_unknown_key_in_the_file_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text("max_mesage_bytes = 10\n")
    result = run_sidecar("--config", str(config))
    assert result.returncode == 2
    assert "unknown setting 'max_mesage_bytes'" in result.stderr


def test_missing_required_settings_are_named() -> None:
    result = run_sidecar()
    assert result.returncode == 2
    assert "secret_key is required" in result.stderr


def test_a_bad_number_is_named_with_its_source() -> None:
    result = run_sidecar(env={"TANDEM_RATE_BURST": "lots"})
    assert result.returncode == 2
    assert "TANDEM_RATE_BURST: not a number: lots" in result.stderr


def test_presence_through_groups_is_on_by_default_and_can_be_turned_off() -> None:
    assert effective()["presence_through_groups"] is True
    assert effective(env={"TANDEM_PRESENCE_THROUGH_GROUPS": "false"})["presence_through_groups"] is False


def test_print_config_refuses_a_value_it_cannot_read() -> None:
    # It printed the default in its place and exited 0, hiding the mistake it was run to find.
    for env in ({"TANDEM_PRESENCE_THROUGH_GROUPS": "maybe"}, {"TANDEM_RATE_BURST": "lots"}):
        result = run_sidecar("--print-config", env=env)
        assert result.returncode == 2
        assert f"{next(iter(env))}: not a" in result.stderr
