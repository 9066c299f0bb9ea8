"""Shared test setup: hypothesis runs every property at least 300 times."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "tandem", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("tandem")
