"""deploy/compose.yaml: valid against the compose specification's JSON schema (the copy that
check-jsonschema ships), and the topology the docs describe: nginx, Django, two sidecars that
are given time to drain, Redis and PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from deploy_paths import DEPLOY, documented_default

COMPOSE = DEPLOY / "compose.yaml"
SIDECARS = ("sidecar-1", "sidecar-2")


def check_against_compose_spec(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)s", duration)
    assert match, f"expected a duration in seconds, got {duration!r}"
    return float(match.group(1))


def test_it_is_valid_against_the_compose_specification() -> None:
    result = check_against_compose_spec(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_an_unknown_service_key(tmp_path: Path) -> None:
    """The check above means something only if the schema bites."""
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  web:\n    image: nginx\n    stop_grace_periods: 15s\n")
    result = check_against_compose_spec(broken)
    assert result.returncode == 1
    assert "stop_grace_periods" in result.stdout


def test_it_runs_nginx_django_two_sidecars_redis_and_postgres() -> None:
    assert set(services()) == {"nginx", "django", *SIDECARS, "redis", "postgres"}


def test_each_sidecar_gets_longer_than_its_drain_deadline_to_stop() -> None:
    for name in SIDECARS:
        sidecar = services()[name]
        deadline = float(
            sidecar["environment"].get("TANDEM_DRAIN_DEADLINE", documented_default("drain_deadline"))
        )
        assert sidecar.get("stop_signal", "SIGTERM") == "SIGTERM"
        assert seconds(sidecar["stop_grace_period"]) >= deadline + 2, name


def test_each_sidecar_may_hold_max_connections_sockets() -> None:
    max_connections = int(documented_default("max_connections"))
    for name in SIDECARS:
        assert services()[name]["ulimits"]["nofile"]["soft"] > max_connections


def test_nginx_routes_sockets_to_both_sidecars_with_least_connections() -> None:
    config = (DEPLOY / "compose" / "nginx.conf").read_text()
    upstream = re.search(r"upstream tandem_sidecar \{(.*?)\}", config, re.DOTALL)
    assert upstream
    assert "least_conn;" in upstream.group(1)
    for name in SIDECARS:
        assert f"server {name}:8765" in upstream.group(1)
    mounted = " ".join(services()["nginx"]["volumes"])
    assert "./compose/nginx.conf:" in mounted


def test_secrets_come_from_the_environment_not_the_file() -> None:
    text = COMPOSE.read_text()
    for variable in ("TANDEM_SECRET_KEY", "POSTGRES_PASSWORD"):
        assert f"${{{variable}:?" in text, f"{variable} must be required from the environment"


SHOW_SETTINGS = (
    "from django.conf import settings; "
    "print(settings.STATIC_ROOT, settings.DEBUG, 'public_url' in settings.TANDEM)"
)


def test_the_example_images_settings_load_with_a_static_root_and_no_public_url() -> None:
    """The settings deploy/Dockerfile's `example` stage runs with: collectstatic has a target,
    DEBUG is off, and pages connect to their own origin (nginx routes /ws/)."""
    root = DEPLOY.parent
    build = root / os.environ.get("TANDEM_BUILD_DIR", "build/dev")
    python_path = [
        root / "examples" / "chatsite",
        DEPLOY / "compose",
        root / "django_integration",
        build / "python",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(map(str, python_path)),
        "DJANGO_SETTINGS_MODULE": "compose_settings",
        "CHATSITE_SECRET_KEY": "a-test-only-secret",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", SHOW_SETTINGS],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["/app/static-collected", "False", "False"]


def test_every_dependency_exists_and_a_healthy_condition_has_a_health_check() -> None:
    """What `docker compose config` checks beyond the schema: depends_on names services, and
    `service_healthy` waits on a service that has a health check (its own, or its image's
    HEALTHCHECK from deploy/Dockerfile)."""
    all_services = services()
    for name, service in all_services.items():
        depends = service.get("depends_on", {})
        conditions = dict.fromkeys(depends, "service_started") if isinstance(depends, list) else depends
        for dependency, condition in conditions.items():
            assert dependency in all_services, f"{name} depends on undefined {dependency}"
            wanted = condition if isinstance(condition, str) else condition["condition"]
            if wanted == "service_healthy":
                target = all_services[dependency]
                built_stage = target.get("build", {}).get("target")
                assert "healthcheck" in target or built_stage in {"runtime", "example"}, (
                    f"{name} waits for {dependency} to be healthy, which has no health check"
                )
