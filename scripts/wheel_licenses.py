"""Adds the license texts of the libraries auditwheel copied into a wheel: `auditwheel repair`
vendors them (libpq, OpenSSL, GnuTLS, ...) into django_tandem.libs/, but their licenses
(several LGPL, which require the text to travel with the binary) stay behind. For each vendored
library this finds the Debian package that installed the original (dpkg -S; its SBOM misses
some), copies /usr/share/doc/<package>/copyright into
dist-info/licenses/vendored/<package>.copyright, names it in METADATA (License-File) and
rewrites RECORD. Usage: python scripts/wheel_licenses.py WHEEL..."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

DOC = Path("/usr/share/doc")


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def original_name(vendored: str) -> str:
    """auditwheel renames libpq.so.5.15 to libpq-f632a8e2.so.5.15 (a hash before the first dot)."""
    return re.sub(r"-[0-9a-f]{8}(?=\.)", "", vendored, count=1)


def debian_packages(libraries: list[str]) -> list[str]:
    """The Debian packages that installed these library files, once each."""
    packages = set()
    for library in libraries:
        found = subprocess.run(["dpkg", "-S", f"*/{library}"], capture_output=True, text=True, check=False)
        names = {line.split(":")[0] for line in found.stdout.splitlines() if ": " in line}
        if not names:
            raise SystemExit(f"wheel_licenses: no Debian package owns {library}; its license cannot ship")
        packages |= names
    return sorted(packages)


def add_licenses(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        entries = {info.filename: archive.read(info) for info in infos}
    # Each file keeps its mode (the sidecar and the libraries are executable).
    modes = {info.filename: info.external_attr for info in infos}
    (dist_info,) = {name.split("/")[0] for name in entries if name.split("/")[0].endswith(".dist-info")}
    libraries = [original_name(Path(name).name) for name in entries if name.startswith("django_tandem.libs/")]
    added = []
    for package in debian_packages(libraries):
        source = DOC / package / "copyright"
        if not source.is_file():
            raise SystemExit(
                f"wheel_licenses: {source} is missing: the license of vendored {package} cannot ship"
            )
        relative = f"vendored/{package}.copyright"
        entries[f"{dist_info}/licenses/{relative}"] = source.read_bytes()
        added.append(relative)
    metadata = entries[f"{dist_info}/METADATA"].decode()
    head, _, body = metadata.partition("\n\n")  # headers, then the long description
    head += "".join(f"\nLicense-File: {relative}" for relative in added)
    entries[f"{dist_info}/METADATA"] = (head + "\n\n" + body).encode()
    record = f"{dist_info}/RECORD"
    lines = [record_line(name, data) for name, data in entries.items() if name != record]
    entries[record] = ("\n".join([*lines, f"{record},,"]) + "\n").encode()
    with tempfile.NamedTemporaryFile(dir=wheel.parent, suffix=".whl", delete=False) as handle:
        temporary = Path(handle.name)
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = modes.get(name, 0o100644 << 16)  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)
    shutil.move(temporary, wheel)
    return added


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(f"{path}: {len(add_licenses(Path(path)))} vendored license texts added")
