"""The metric names the sidecar exposes, read from its metrics code, and the metric names a
PromQL expression reads, from a real PromQL parser, so dashboards and alerts can be checked
against each other without a running Prometheus."""

from __future__ import annotations

import re
from collections.abc import Iterator

import promql_parser
from deploy_paths import ROOT

METRICS_SOURCES = sorted((ROOT / "sidecar" / "ops").glob("metrics.*"))
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def exposed_metric_names() -> set[str]:
    """Every `tandem_*` family named in sidecar/ops/metrics.*, with histogram series names."""
    names: set[str] = set()
    for path in METRICS_SOURCES:
        text = path.read_text()
        names |= set(re.findall(r'"(tandem_[a-z0-9_]+)', text))
        for histogram in re.findall(r'"(tandem_[a-z0-9_]+)", "histogram"', text):
            names |= {histogram + suffix for suffix in HISTOGRAM_SUFFIXES}
    return names


def selectors(node: object) -> Iterator[promql_parser.VectorSelector]:
    """Every vector selector in a parsed PromQL expression, depth first."""
    if isinstance(node, promql_parser.VectorSelector):
        yield node
    elif isinstance(node, promql_parser.MatrixSelector):
        yield node.vector_selector
    elif isinstance(node, promql_parser.BinaryExpr):
        yield from selectors(node.lhs)
        yield from selectors(node.rhs)
    elif isinstance(node, promql_parser.Call):
        for arg in node.args:
            yield from selectors(arg)
    elif isinstance(node, promql_parser.AggregateExpr):
        yield from selectors(node.expr)
        if node.param is not None:
            yield from selectors(node.param)
    elif isinstance(node, promql_parser.ParenExpr | promql_parser.SubqueryExpr | promql_parser.UnaryExpr):
        yield from selectors(node.expr)


def queried_metric_names(expr: str) -> set[str]:
    """Metric names an expression reads; raises ValueError if it is not valid PromQL."""
    return {selector.name for selector in selectors(promql_parser.parse(expr)) if selector.name}
