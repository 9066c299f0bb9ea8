"""deploy/kubernetes/: every manifest valid (strict: unknown fields refused) against the schemas
kubernetes-validate ships for the oldest and newest Kubernetes it knows that we support, and the
drain timing adds up: preStop, then SIGTERM and drain_deadline, within the grace period."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from deploy_paths import DEPLOY, documented_default

MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
# Versions checked: 1.30 (the oldest still maintained by the major clouds when written) and the
# newest this validator ships.
VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
AFTER_DEADLINE_S = 2.0  # wind_down_limit in sidecar/app/server.cpp


def documents() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def by_kind(kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in documents() if doc["kind"] == kind]
    return found


def sidecar_container() -> dict[str, Any]:
    (container,) = by_kind("Deployment")["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_a_manifest_is_valid_strictly(path: Path, version: str) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_rejects_a_misspelled_field() -> None:
    """The check above means something only if the schema bites."""
    deployment = by_kind("Deployment")
    deployment["spec"]["template"]["spec"]["terminationGracePeriodSecond"] = 20
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def test_there_is_a_deployment_a_service_and_a_disruption_budget() -> None:
    assert sorted(doc["kind"] for doc in documents()) == ["Deployment", "PodDisruptionBudget", "Service"]


def test_readiness_is_readyz_and_liveness_is_healthz_on_the_admin_port() -> None:
    container = sidecar_container()
    env = {e["name"]: e.get("value") for e in container["env"]}
    admin_port = int(env["TANDEM_ADMIN_LISTEN"].rsplit(":", 1)[1])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["admin"] == admin_port
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}


def test_the_grace_period_covers_pre_stop_and_the_whole_drain() -> None:
    container = sidecar_container()
    env = {e["name"]: e.get("value") for e in container["env"]}
    deadline = float(env.get("TANDEM_DRAIN_DEADLINE") or documented_default("drain_deadline"))
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    pre_stop = float(command[1])
    grace = by_kind("Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= pre_stop + deadline + AFTER_DEADLINE_S + 2


def test_threads_are_set_since_zero_would_count_the_nodes_cores() -> None:
    env = {e["name"]: e.get("value") for e in sidecar_container()["env"]}
    assert int(env["TANDEM_THREADS"]) >= 1


def test_the_service_and_budget_select_the_deployments_pods() -> None:
    labels = by_kind("Deployment")["spec"]["template"]["metadata"]["labels"]
    service_selector = by_kind("Service")["spec"]["selector"]
    budget_selector = by_kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]
    for selector in (service_selector, budget_selector):
        assert selector.items() <= labels.items()
    assert by_kind("PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_the_service_exposes_sockets_but_not_the_admin_port() -> None:
    assert [port["targetPort"] for port in by_kind("Service")["spec"]["ports"]] == ["ws"]


def test_secrets_come_from_a_secret() -> None:
    env = {e["name"]: e for e in sidecar_container()["env"]}
    for name in ("TANDEM_SECRET_KEY", "TANDEM_DATABASE", "TANDEM_REDIS_HOSTS"):
        assert "secretKeyRef" in env[name]["valueFrom"], name
