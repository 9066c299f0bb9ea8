"""`pip install .` gives a working package: the wheel builds, installs into a fresh venv, imports,
computes a status through the C++ core, and puts `tandem-sidecar` on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


# Building the wheel compiles the whole C++ tree without the shared compiler cache: minutes on
# two cores, well past the default 300 s when the machine is busy.
pytestmark = pytest.mark.timeout(1500)


def run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    # The suite runs with PYTHONPATH pointing at the dev build; a fresh install must not see it,
    # or the test would import the dev tree instead of the installed wheel.
    env = {k: v for k, v in kwargs.pop("env", os.environ).items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(a) for a in args], check=True, text=True, capture_output=True, env=env, **kwargs
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # --no-build-isolation: build with the venv's pinned scikit-build-core and pybind11 (and no
    # network); build-dir under build/ so a rebuild reuses objects.
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", out, ROOT, cwd=ROOT)
    (built,) = out.glob("django_tandem-*.whl")
    print(f"\nwheel: {built.name} {built.stat().st_size} bytes")
    return built


@pytest.fixture(scope="module")
def fresh_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    # A real install: the wheel plus its dependencies (Django, channels, channels-redis).
    run(env_dir / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    return env_dir


@pytest.mark.packaging
def test_the_wheel_carries_the_license_text(wheel: Path) -> None:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        licenses = [name for name in archive.namelist() if name.endswith("/LICENSE")]
        assert licenses, archive.namelist()
        assert "MIT License" in archive.read(licenses[0]).decode()


@pytest.mark.packaging
def test_the_installed_core_computes_a_status(fresh_env: Path) -> None:
    code = (
        "import tandem_core as t; "
        "s, changed = t.advance(t.MessageStatus(), t.TickEvent.READ, 1000); "
        "print(t.tick_name(s.state), changed, t.__file__)"
    )
    out = run(fresh_env / "bin" / "python", "-c", code, cwd=fresh_env).stdout
    state, changed, location = out.split()
    assert (state, changed) == ("read", "True")
    assert Path(location).is_relative_to(fresh_env)


@pytest.mark.packaging
def test_the_django_app_renders_a_tick_from_the_installed_wheel(fresh_env: Path) -> None:
    code = (
        "import django; from django.conf import settings; "
        "settings.configure(INSTALLED_APPS=['tandem'], TEMPLATES=[{'BACKEND': "
        "'django.template.backends.django.DjangoTemplates', 'APP_DIRS': True}]); django.setup(); "
        "from django.template import Template, Context; import tandem; "
        "print(tandem.__version__, Template('{% load tandem %}{% tick_icon \"sent\" %}').render(Context()))"
    )
    out = run(fresh_env / "bin" / "python", "-c", code, cwd=fresh_env).stdout
    version, html = out.split(" ", 1)
    assert version[0].isdigit()
    assert 'aria-label="Sent"' in html
    files = run(fresh_env / "bin" / "python", "-m", "pip", "show", "-f", "django-tandem").stdout
    assert "tandem_core/_core.pyi" in files
    assert "tandem_core/py.typed" in files


@pytest.mark.packaging
def test_the_sidecar_executable_is_on_path(fresh_env: Path) -> None:
    env = {**os.environ, "PATH": f"{fresh_env / 'bin'}:{os.environ['PATH']}"}
    out = run("tandem-sidecar", "--version", env=env).stdout
    assert out.strip().startswith("tandem-sidecar ")
    version = run(
        fresh_env / "bin" / "python", "-c", "import tandem_core; print(tandem_core.__version__)"
    ).stdout
    assert out.strip() == f"tandem-sidecar {version.strip()}"
