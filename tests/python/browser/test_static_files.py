"""The client's files under ManifestStaticFilesStorage (collectstatic with hashed names): the
ES module imports point at the hashed copies too, so a deploy never mixes old and new modules
from a browser's cache. No browser or services needed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

from browser_pages import ROOT

SITE = ROOT / "examples" / "chatsite"
IMPORT = re.compile(r"""from\s+["']([^"']+)["']""")


def collect(target: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(SITE), str(ROOT / "django_integration"), os.environ.get("PYTHONPATH", "")]
        ),
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "CHATSITE_MANIFEST_STATIC": "1",
        "CHATSITE_STATIC_ROOT": str(target),
    }
    subprocess.run(
        [sys.executable, str(SITE / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=env,
        check=True,
    )
    return json.loads((target / "staticfiles.json").read_text())["paths"]


def test_every_module_import_of_the_client_names_a_hashed_file(tmp_path: Path) -> None:
    paths = collect(tmp_path)
    modules = [name for name in paths if name.startswith("tandem/") and name.endswith(".js")]
    assert "tandem/bootstrap.js" in modules
    hashed = set(paths.values())
    checked = 0
    for name in modules:
        source = (tmp_path / paths[name]).read_text()
        for target in IMPORT.findall(source):
            resolved = str(PurePosixPath(paths[name]).parent / target)  # the client uses ./ only
            assert resolved in hashed, f"{paths[name]} imports {target}, which is not a hashed file"
            checked += 1
    assert checked >= 10


def test_the_stylesheet_points_at_hashed_icons(tmp_path: Path) -> None:
    paths = collect(tmp_path)
    css = (tmp_path / paths["tandem/chat.css"]).read_text()
    icons = re.findall(r'url\("([^"]+)"\)', css)
    assert icons
    assert all(re.search(r"\.[0-9a-f]{12}\.svg$", icon) for icon in icons), icons
