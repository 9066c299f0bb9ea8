"""The image's package lists against what the build really needs, checked without Docker: the
build stage installs every C++ library package scripts/install-deps.sh installs, and the runtime
stage installs the Debian package of every shared library the built sidecar and Python module
link (read from their ELF NEEDED entries here, on the same Debian 12)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import dockerfile
import pytest
from deploy_paths import DEPLOY, ROOT
from harness.sidecar_process import sidecar_binary

# In debian:12-slim already (the C and C++ runtimes that apt itself needs).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}


def apt_installs(stage: str) -> set[str]:
    """Package names on the `apt-get install` lines of one stage of deploy/Dockerfile."""
    names: set[str] = set()
    current = ""
    for command in dockerfile.parse_file(str(DEPLOY / "Dockerfile")):
        if command.cmd == "FROM":
            current = command.value[2]
        elif command.cmd == "RUN" and current == stage and "apt-get install" in command.value[0]:
            words = command.value[0].split("apt-get install", 1)[1].split("&&")[0].split()
            names |= {word for word in words if not word.startswith("-")}
    return names


def install_deps_packages() -> set[str]:
    text = (ROOT / "scripts" / "install-deps.sh").read_text()
    listing = re.search(r"apt_packages=\((.*?)\n\)", text, re.DOTALL)
    assert listing
    return {word for line in listing.group(1).splitlines() for word in line.split("#")[0].split()}


def package_of_needed_libraries(binary: Path) -> set[str]:
    """Debian packages owning the libraries `binary` names directly (NEEDED), not transitively:
    apt brings those in as the packages' own dependencies."""
    dynamic = subprocess.run(
        ["readelf", "-d", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic))
    resolved = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", resolved, re.MULTILINE))
    packages = set()
    for soname in needed - {"ld-linux-x86-64.so.2"}:
        assert soname in paths, f"{binary.name} needs {soname}, which does not resolve here"
        packages.add(owning_package(Path(paths[soname])))
    return packages


def owning_package(library: Path) -> str:
    """dpkg knows a file by the path its package ships, which after Debian's merged /usr may be
    /lib/... while the loader found /usr/lib/...; try both."""
    real = str(library.resolve())
    for candidate in (real, real.removeprefix("/usr"), str(library)):
        owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, check=False)
        if owner.returncode == 0:
            return owner.stdout.split(":", 1)[0]
    raise AssertionError(f"no Debian package owns {library}")


# Test tools, not build inputs of the image: clang's runtime is for the libFuzzer targets.
TEST_ONLY_PACKAGES = {"libclang-rt-14-dev"}


def test_the_build_stage_installs_every_library_package_install_deps_does() -> None:
    wanted = {name for name in install_deps_packages() if name.endswith("-dev")} - TEST_ONLY_PACKAGES
    assert wanted - apt_installs("build") == set()


@pytest.mark.skipif(
    shutil.which("dpkg") is None or shutil.which("readelf") is None, reason="needs dpkg, readelf"
)
@pytest.mark.parametrize("built", ["sidecar", "python module"])
def test_the_runtime_stage_installs_every_library_the_build_links(built: str) -> None:
    binary = sidecar_binary()
    if built == "python module":
        binary = next((binary.parents[2] / "python" / "tandem_core").glob("_core*.so"), binary)
    if not binary.exists():
        pytest.fail(f"{binary} is missing: build first (scripts/build.sh build/dev)")
    missing = package_of_needed_libraries(binary) - apt_installs("runtime") - BASE_IMAGE_PACKAGES
    assert missing == set(), f"deploy/Dockerfile's runtime stage lacks {sorted(missing)}"


def cmake_option(build: Path, name: str) -> bool:
    """A BOOL option as the build directory's CMake cache holds it (False when it lacks it)."""
    cache = (build / "CMakeCache.txt").read_text()
    found = re.search(rf"^{name}:BOOL=(\S+)$", cache, re.MULTILINE)
    return found is not None and found.group(1).upper() in {"ON", "TRUE", "1", "YES"}


def test_the_sidecar_allocates_with_jemalloc_unless_sanitized() -> None:
    """docs/benchmarks.md: the sidecar links jemalloc (glibc's malloc took a quarter of a drain's
    CPU and fragmented idle sockets' memory); sanitizer builds keep their own allocator. A
    NEEDED entry ahead of libc makes jemalloc the allocator of the whole process."""
    binary = sidecar_binary()
    build = binary.parents[2]
    wanted = cmake_option(build, "TANDEM_JEMALLOC") and not any(
        cmake_option(build, option) for option in ("TANDEM_SANITIZE", "TANDEM_TSAN", "TANDEM_FUZZ")
    )
    dynamic = subprocess.run(
        ["readelf", "-d", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
    jemalloc = [i for i, name in enumerate(needed) if name.startswith("libjemalloc.so")]
    if not wanted:
        assert jemalloc == [], needed
        return
    assert jemalloc, needed
    assert jemalloc[0] < needed.index("libc.so.6"), needed
