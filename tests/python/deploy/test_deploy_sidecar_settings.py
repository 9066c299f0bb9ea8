"""Every TANDEM_* variable the deployment files set is a setting the real sidecar reads, with a
value it accepts: the built binary's `--print-config` must show each one as given. (The binary
ignores unknown TANDEM_* names, and `--print-config` refuses a value it cannot read, so both a
misspelt name and a bad value fail here.)"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from typing import Any

import dockerfile
import pytest
import yaml
from deploy_paths import DEPLOY
from harness.sidecar_process import sidecar_binary

SECRET_PLACEHOLDER = "from-a-secret"


def from_compose() -> dict[str, str]:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    env = services["sidecar-1"]["environment"]
    return {k: re.sub(r"\$\{[^}]*\}", SECRET_PLACEHOLDER, str(v)) for k, v in env.items()}


def from_kubernetes() -> dict[str, str]:
    deployment = yaml.safe_load((DEPLOY / "kubernetes" / "deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", SECRET_PLACEHOLDER) for e in container["env"]}


def from_systemd() -> dict[str, str]:
    text = (DEPLOY / "systemd" / "tandem-sidecar@.service").read_text()
    pairs = re.findall(r"^Environment=(TANDEM_\w+)=(.*)$", text, re.MULTILINE)
    return {k: v.replace("%i", "8765") for k, v in pairs}


def from_dockerfile() -> dict[str, str]:
    env: dict[str, str] = {}
    for command in dockerfile.parse_file(str(DEPLOY / "Dockerfile")):
        if command.cmd == "ENV":
            env |= dict(zip(command.value[::2], command.value[1::2], strict=True))
    return {k: v for k, v in env.items() if k.startswith("TANDEM_")}


SOURCES = {
    "compose": from_compose,
    "kubernetes": from_kubernetes,
    "systemd": from_systemd,
    "Dockerfile": from_dockerfile,
}


def effective_config(env: dict[str, str]) -> dict[str, Any]:
    binary = sidecar_binary()
    if not binary.exists():
        pytest.fail(f"{binary} is missing: build first (scripts/build.sh build/dev)")
    # TANDEM_CONFIG names a file that exists only where the unit is installed.
    run_env = {k: v for k, v in env.items() if k != "TANDEM_CONFIG"}
    result = subprocess.run(
        [str(binary), "--print-config"], env=run_env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ValueError(result.stderr.strip())
    return tomllib.loads(result.stdout)


def as_given(value: str, printed: Any) -> Any:
    """The environment value in the printed value's type (lists: JSON or comma-separated)."""
    if isinstance(printed, list):
        return json.loads(value) if value.startswith("[") else value.split(",")
    if isinstance(printed, bool):
        return value == "true"
    if isinstance(printed, int | float):
        return type(printed)(value)
    return value


def misread(env: dict[str, str]) -> list[str]:
    """Each variable the sidecar does not know, or reads as something other than given."""
    try:
        config = effective_config(env)
    except ValueError as refused:
        return [str(refused)]
    problems = []
    for name, value in env.items():
        key = name.removeprefix("TANDEM_").lower()
        if name == "TANDEM_CONFIG" or SECRET_PLACEHOLDER in value:
            continue
        if key not in config:
            problems.append(f"{name} is not a sidecar setting")
            continue
        if "***" in str(config[key]):
            continue  # a secret, masked when printed
        try:
            given = as_given(value, config[key])
        except ValueError:
            given = value
        if config[key] != given:
            problems.append(f"{name}={value!r} read as {config[key]!r}")
    return problems


@pytest.mark.parametrize("source", SOURCES)
def test_each_tandem_variable_is_read_by_the_sidecar_as_given(source: str) -> None:
    env = SOURCES[source]()
    assert env, f"{source} sets no TANDEM_* variable"
    assert misread(env) == []


def test_a_misspelt_name_is_caught() -> None:
    """The check above means something only if it bites."""
    assert misread({"TANDEM_DRAIN_DEADLINES": "5"}) == ["TANDEM_DRAIN_DEADLINES is not a sidecar setting"]


def test_a_bad_value_is_caught() -> None:
    assert misread({"TANDEM_THREADS": "two"}) != []
