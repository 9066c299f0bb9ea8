"""deploy/monitoring's alert rules and dashboard queries, as the tests read them."""

from __future__ import annotations

import json
from typing import Any

import yaml
from deploy_paths import DEPLOY

ALERTS = DEPLOY / "monitoring" / "alerts.yaml"
DASHBOARD = DEPLOY / "monitoring" / "grafana-dashboard.json"
# The alerts the operators' issue asks for, by what they watch.
REQUIRED_ALERT_METRICS = {
    "circuit open": "tandem_postgres_breaker_state",
    "layer down": "tandem_redis_shards_connected",
    "slow-reader closes": "tandem_outbound_queue_drops_total",
    "coroutine failures": "tandem_coroutine_failures_total",
}


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[tuple[str, str]]:
    """(panel title, expression) for every query, Grafana's variables replaced by values."""
    dashboard = json.loads(DASHBOARD.read_text())
    found = []
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$__rate_interval", "5m").replace("$instance", ".*")
            found.append((panel["title"], expr))
    return found
