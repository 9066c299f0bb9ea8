"""The dashboard and alert checks read metric names from sidecar/ops/metrics.*; here the real
thing: a running sidecar must serve exactly those series, and Debian's Prometheus, scraping it,
must answer every dashboard query and alert expression without error, with data for each."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer
from harness.sidecar_process import SidecarProcess
from monitoring_files import alert_rules, dashboard_expressions
from prometheus_client.parser import text_string_to_metric_families
from prometheus_server import PrometheusServer
from sidecar_metrics import exposed_metric_names


@pytest.fixture
def live_sidecar(
    transactional_db: None,
    tmp_path: Path,
    postgres_server: PostgresServer,
    channel_layer_redis: RedisServer,
    settings: Any,
) -> Iterator[SidecarProcess]:
    from django.db import connection

    sidecar = SidecarProcess(
        tmp_path / "sidecar",
        database=postgres_server.conninfo(connection.settings_dict["NAME"]),
        redis_hosts=[channel_layer_redis.url],
        secret_key=settings.SECRET_KEY,
        threads=1,
    )
    try:
        yield sidecar.start()
    finally:
        sidecar.stop()


def test_a_running_sidecar_serves_exactly_the_metrics_its_code_names(live_sidecar: SidecarProcess) -> None:
    status, text = live_sidecar.get("/metrics")
    assert status == 200
    samples = {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}
    named = exposed_metric_names()
    histograms = {name for name in named if f"{name}_bucket" in named}  # a family, never a sample
    assert {name for name in samples if name.startswith("tandem_")} == named - histograms


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed")
def test_prometheus_answers_every_dashboard_query_and_alert_with_data(
    live_sidecar: SidecarProcess, tmp_path: Path
) -> None:
    prometheus = PrometheusServer(tmp_path / "prometheus", [f"127.0.0.1:{live_sidecar.port}"]).start()
    try:
        # rate() needs two samples in its window: wait for a few scrapes.
        deadline = time.monotonic() + 30
        while scraped_samples(prometheus) < 3:
            assert time.monotonic() < deadline, "prometheus scraped nothing"
            time.sleep(0.5)
        queries = [(title, expr.replace("[5m]", "[1m]")) for title, expr in dashboard_expressions()]
        queries += [(rule["alert"], rule["expr"]) for rule in alert_rules()]
        empty = []
        for title, expr in queries:
            answer = prometheus.query(expr)
            assert answer["status"] == "success", (title, answer)
            data = prometheus.query(f"count({_inner(expr)})")["data"]["result"]
            if not data:
                empty.append(title)
        assert empty == [], f"queries with no series at all: {empty}"
    finally:
        prometheus.stop()


def scraped_samples(prometheus: PrometheusServer) -> int:
    result = prometheus.query("tandem_connections[1m]")["data"]["result"]
    return len(result[0]["values"]) if result else 0


def _inner(expr: str) -> str:
    """The expression without a trailing comparison, so an alert that is quiet still has series."""
    for operator in (" >= ", " > ", " == "):
        if operator in expr:
            return expr.rsplit(operator, 1)[0]
    return expr
