"""The Grafana dashboard and the Prometheus alert rules: every expression is valid PromQL (parsed
by promql-parser, the Rust parser Prometheus-compatible engines use) and reads only metrics the
sidecar exposes; and Prometheus's own promtool (Debian's `prometheus` package) checks the rule
file and runs its unit tests (alerts.test.yaml: each alert fires when it should, and not on a
healthy process)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from monitoring_files import (
    ALERTS,
    DASHBOARD,
    REQUIRED_ALERT_METRICS,
    alert_rules,
    dashboard_expressions,
)
from sidecar_metrics import exposed_metric_names, queried_metric_names


def check_names_exposed(names: set[str]) -> None:
    exposed = exposed_metric_names()
    missing = names - exposed
    assert missing == set(), f"not exposed by sidecar/ops/metrics.*: {sorted(missing)}"


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["alert"])
def test_an_alert_rule_is_valid_promql_over_exposed_metrics(rule: dict[str, Any]) -> None:
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
    assert rule["labels"]["severity"] in {"critical", "warning"}
    assert rule["annotations"]["summary"]
    assert re.fullmatch(r"Tandem[A-Za-z]+", rule["alert"])
    check_names_exposed(queried_metric_names(rule["expr"]))


def test_the_alerts_cover_circuit_layer_slow_readers_and_coroutines() -> None:
    watched = set().union(*(queried_metric_names(rule["expr"]) for rule in alert_rules()))
    assert {what: metric for what, metric in REQUIRED_ALERT_METRICS.items() if metric not in watched} == {}


def test_alert_names_are_unique() -> None:
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("title", "expr"), dashboard_expressions(), ids=lambda value: value[:40])
def test_a_dashboard_query_is_valid_promql_over_exposed_metrics(title: str, expr: str) -> None:
    check_names_exposed(queried_metric_names(expr))


def test_every_exposed_family_is_on_the_dashboard() -> None:
    shown = set().union(*(queried_metric_names(expr) for _, expr in dashboard_expressions()))
    histogram_families = {name.removesuffix("_bucket") for name in shown if name.endswith("_bucket")}
    families = {name for name in exposed_metric_names() if not name.endswith(("_bucket", "_sum", "_count"))}
    assert families - shown - histogram_families == set()


def test_dashboard_panels_have_unique_ids_and_do_not_overlap() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    cells = set()
    for panel in panels:
        pos = panel["gridPos"]
        area = {
            (x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not cells & area, f"panel {panel['title']!r} overlaps another"
        assert pos["x"] + pos["w"] <= 24
        cells |= area


needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, check=False)


@needs_promtool
def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(ALERTS))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_unit_tests_of_the_alerts_pass() -> None:
    result = promtool("test", "rules", str(ALERTS.with_name("alerts.test.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    """The checks above mean something only if promtool bites."""
    broken = tmp_path / "rules.yaml"
    broken.write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n")
    assert promtool("check", "rules", str(broken)).returncode != 0


def test_the_parser_rejects_a_broken_expression() -> None:
    """The checks above mean something only if the parser bites."""
    with pytest.raises(ValueError, match="parenthesis"):
        queried_metric_names("sum(rate(tandem_connections_total[5m])")
