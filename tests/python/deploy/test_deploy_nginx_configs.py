"""The nginx configurations we ship or print, checked by Debian's real `nginx -t`:
deploy/compose/nginx.conf (compose service names mapped to loopback, since they resolve only
inside compose) and the `nginx` example in docs/deployment.md."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from deploy_paths import DEPLOY, ROOT

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
COMPOSE_HOSTS = ("sidecar-1", "sidecar-2", "django")
UPGRADE_MAP = 'map $http_upgrade $connection_upgrade { default upgrade; "" close; }\n'


def nginx_test(http_body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a main file wrapping `http_body`, with every path inside tmp_path."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n{http_body}\n}}\n"
    )
    return subprocess.run(
        [shutil.which("nginx") or "/usr/sbin/nginx", "-t", "-c", str(conf), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_compose_nginx_conf_passes_nginx_t(tmp_path: Path) -> None:
    text = (DEPLOY / "compose" / "nginx.conf").read_text()
    for host in COMPOSE_HOSTS:
        text = text.replace(f"{host}:", "127.0.0.1:")
    text = text.replace("listen 80;", "listen 127.0.0.1:8080;")
    result = nginx_test(text, tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_guides_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    (example,) = re.findall(r"```nginx\n(.*?)```", guide, re.DOTALL)
    upstream, location = example.split("location ", 1)
    body = f"{UPGRADE_MAP}{upstream}server {{\n    listen 127.0.0.1:8080;\n    location {location}}}\n"
    result = nginx_test(body, tmp_path)
    assert result.returncode == 0, result.stderr


def test_nginx_t_rejects_a_broken_directive(tmp_path: Path) -> None:
    """The checks above mean something only if nginx -t bites."""
    result = nginx_test("upstream u { least_con; server 127.0.0.1:1; }", tmp_path)
    assert result.returncode != 0
    assert "least_con" in result.stderr
