"""A strict Content-Security-Policy on the example's pages: scripts, styles and images only from
this site, no inline script or style, so the chat client is shown to work under it (the browser
tests fail on any violation). The sidecar's socket is another origin in the example (its own
port), so connect-src names it; behind a proxy that routes /ws/ (examples/nginx.conf) 'self'
is enough. The admin keeps Django's own inline scripts and is left out."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def sidecar_origin() -> str:
    url = urlsplit(str(getattr(settings, "TANDEM", {}).get("public_url") or ""))
    return f"{url.scheme}://{url.netloc}" if url.netloc else ""


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = f"default-src 'self'; connect-src 'self' {sidecar_origin()}".strip()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
