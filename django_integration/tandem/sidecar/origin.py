"""The Origin a browser of this site would send, for `tandem check` to present to the sidecar."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit


def default_origin(
    url: str, allowed_hosts: Sequence[str], trusted_origins: Sequence[str], debug: bool
) -> str:
    """The first concrete ALLOWED_HOSTS entry (".example.com" → example.com), else the first
    CSRF_TRUSTED_ORIGINS entry without a wildcard, else what DEBUG allows, else the URL's host."""
    scheme = "https" if url.startswith("wss:") else "http"
    for host in allowed_hosts:
        if host != "*":
            return f"{scheme}://{host.removeprefix('.')}"
    for origin in trusted_origins:
        if "*" not in origin:
            return origin
    if debug and not allowed_hosts:
        return f"{scheme}://localhost"
    return f"{scheme}://{urlsplit(url).netloc}"
