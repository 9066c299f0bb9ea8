"""Tandem's Django app: the models the sidecar writes, HTTP fallback views, the management
command that starts the sidecar, and the browser client."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("django-tandem")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
