"""A session's fingerprint: what a `tandem.disconnect` event names to close the sockets opened
with one session (a logout) and no others, without the session key itself travelling through
Redis, where a copy could be read and replayed as a cookie. The sidecar computes the same
(sidecar/auth/session_fingerprint.hpp; both are held to tests/fixtures/auth/auth_cases.json)."""

from __future__ import annotations

import hashlib


def fingerprint(session_cookie: str) -> str:
    """Lower-case hex SHA-256 of the session cookie's value, as the bytes it came in (Django's
    request.COOKIES holds them decoded as latin-1, as WSGI and ASGI hand headers over)."""
    try:
        raw = session_cookie.encode("latin-1")
    except UnicodeEncodeError:  # not from a request's headers: as the sidecar would see UTF-8
        raw = session_cookie.encode("utf-8")
    return hashlib.sha256(raw).hexdigest()
