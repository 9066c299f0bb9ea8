"""The metric names the dashboard and alert tests read from sidecar/ops/metrics.* are the ones a
real sidecar serves on /metrics: a scrape of a running process must list exactly those series,
so the source scan cannot drift from what Prometheus will see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer
from harness.sidecar_process import SidecarProcess
from prometheus_client.parser import text_string_to_metric_families
from sidecar_metrics import exposed_metric_names


def test_a_running_sidecar_serves_exactly_the_metrics_its_code_names(
    transactional_db: None,
    tmp_path: Path,
    postgres_server: PostgresServer,
    channel_layer_redis: RedisServer,
    settings: Any,
) -> None:
    from django.db import connection

    sidecar = SidecarProcess(
        tmp_path / "sidecar",
        database=postgres_server.conninfo(connection.settings_dict["NAME"]),
        redis_hosts=[channel_layer_redis.url],
        secret_key=settings.SECRET_KEY,
        threads=1,
    )
    try:
        sidecar.start()
        status, text = sidecar.get("/metrics")
    finally:
        sidecar.stop()
    assert status == 200
    samples = {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}
    named = exposed_metric_names()
    histograms = {name for name in named if f"{name}_bucket" in named}  # a family, never a sample
    assert {name for name in samples if name.startswith("tandem_")} == named - histograms
