"""Running the tandem-sidecar binary from Django settings: derive its configuration, print it,
launch it, and check a running one end to end."""

from __future__ import annotations
