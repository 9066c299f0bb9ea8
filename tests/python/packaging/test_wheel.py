"""`pip install` of the self-contained wheel gives a working package: repaired by auditwheel to a
manylinux tag, installed into a fresh venv without compiling anything, it imports, computes a
status through the C++ core, and puts `tandem-sidecar` on PATH; the installed binaries need
only the system libraries every glibc Linux has (the wheel carries the rest). The fixtures
(conftest.py) build, repair and install it once per run."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from wheel_tools import VENV_BIN, run, site_packages

# Building the wheel compiles the whole C++ tree: minutes on two cores, well past the default
# 300 s when the machine is busy.
pytestmark = pytest.mark.timeout(1500)


def manylinux_policy(tag: str) -> frozenset[str]:
    """The system libraries a wheel with this tag may leave to the machine (PEP 600's list, as
    auditwheel ships it)."""
    name = re.sub(r"_x86_64$|_aarch64$", "", tag)
    policies = json.loads(resources.files("auditwheel.policy").joinpath("manylinux-policy.json").read_text())
    (policy,) = [p for p in policies if p["name"] == name]
    return frozenset(policy["lib_whitelist"])


def shared_libraries(binary: Path) -> dict[str, str]:
    """soname -> the file the dynamic loader picks, with LD_LIBRARY_PATH empty (so nothing of a
    build tree or a developer's environment can help)."""
    out = run("ldd", binary, env={**os.environ, "LD_LIBRARY_PATH": ""}).stdout
    libraries = {}
    for line in out.splitlines():
        if "=>" in line:
            name, target = (part.strip() for part in line.split("=>", 1))
            libraries[name] = target.split(" (")[0]
    return libraries


@pytest.mark.packaging
def test_auditwheel_repaired_the_wheel_to_a_manylinux_tag(wheel: Path) -> None:
    (tag,) = re.findall(r"-(manylinux_\d+_\d+_x86_64)\.whl$", wheel.name)
    shown = run(VENV_BIN / "auditwheel", "show", wheel).stdout
    assert f'is consistent with the following platform tag: "{tag}"' in " ".join(shown.split()), shown
    with zipfile.ZipFile(wheel) as archive:
        vendored = [Path(n).name for n in archive.namelist() if n.startswith("django_tandem.libs/")]
    for library in ("libpq", "libssl", "libspdlog"):
        assert any(name.startswith(f"{library}-") for name in vendored), vendored


@pytest.mark.packaging
def test_the_installed_binaries_need_only_libraries_every_glibc_linux_has(
    wheel: Path, fresh_env: Path
) -> None:
    (tag,) = re.findall(r"(manylinux_\d+_\d+_x86_64)", wheel.name)
    system = manylinux_policy(tag) | {"linux-vdso.so.1"}
    packages = site_packages(fresh_env)
    (extension,) = (packages / "tandem_core").glob("_core*.so")
    for binary in (packages / "django_tandem.scripts" / "tandem-sidecar", extension):
        libraries = shared_libraries(binary)
        missing = [name for name, target in libraries.items() if target == "not found"]
        assert not missing, f"{binary.name}: {missing}"
        outside = {
            name: target
            for name, target in libraries.items()
            if name not in system and not Path(target).resolve().is_relative_to(fresh_env.resolve())
        }
        assert not outside, f"{binary.name} loads libraries from the machine: {outside}"
    assert any(
        "django_tandem.libs" in t
        for t in shared_libraries(packages / "django_tandem.scripts" / "tandem-sidecar").values()
    )


def unlicensed_libraries(wheel: Path) -> list[str]:
    """Vendored libraries whose Debian package's copyright file the wheel does not carry (and
    name in METADATA)."""
    missing = []
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        listed = {
            line.split(": ", 1)[1]
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("License-File: ")
        }
        for name in names:
            if not name.startswith("django_tandem.libs/") or name.endswith("/"):
                continue
            original = re.sub(r"-[0-9a-f]{8}(?=\.)", "", Path(name).name, count=1)  # auditwheel's rename
            owners = run("dpkg", "-S", f"*/{original}").stdout.splitlines()
            for package in {line.split(":")[0] for line in owners}:
                text = f"vendored/{package}.copyright"
                if text not in listed or metadata.replace("METADATA", f"licenses/{text}") not in names:
                    missing.append(f"{Path(name).name} ({package})")
    return missing


def record_mismatches(wheel: Path) -> list[str]:
    """Files whose size or sha256 differ from RECORD, or that RECORD does not list."""
    with zipfile.ZipFile(wheel) as archive:
        (record,) = [n for n in archive.namelist() if n.endswith(".dist-info/RECORD")]
        expected = {}
        for line in archive.read(record).decode().splitlines():
            name, digest, size = line.rsplit(",", 2)
            expected[name] = (digest, size)
        wrong = []
        for info in archive.infolist():
            if info.is_dir() or info.filename == record:
                continue
            data = archive.read(info)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            if expected.get(info.filename) != (f"sha256={digest}", str(len(data))):
                wrong.append(info.filename)
    return wrong


@pytest.mark.packaging
def test_the_wheel_carries_the_license_of_every_library_it_vendors(wheel: Path) -> None:
    # Several are LGPL (GnuTLS, GMP, libidn2, ...): their text must travel with the binaries.
    assert unlicensed_libraries(wheel) == []
    assert record_mismatches(wheel) == []


@pytest.mark.packaging
def test_the_wheel_carries_the_license_text(wheel: Path) -> None:
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
    env = {**os.environ, "PATH": f"{fresh_env / 'bin'}:{os.environ['PATH']}", "LD_LIBRARY_PATH": ""}
    out = run("tandem-sidecar", "--version", env=env).stdout
    assert out.strip().startswith("tandem-sidecar ")
    version = run(
        fresh_env / "bin" / "python", "-c", "import tandem_core; print(tandem_core.__version__)"
    ).stdout
    assert out.strip() == f"tandem-sidecar {version.strip()}"
