"""deploy/k8s, checked offline: every overlay renders, validates against the Kubernetes schemas
(custom resources against vendored CRD excerpts), runs every service safely, and provides every
setting the code needs in a cluster, read from overpush.settings.Settings.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services.runner import registry
from tests.k8s_rules import (
    APP_LABEL,
    container_problems,
    env_sources,
    required_settings,
)

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
SCHEMAS = K8S / "schemas"
K8S_VERSION = "1.33.0"
CI = os.environ.get("CI", "").lower() == "true"
# The deployable services are the ones the composition root runs (services/admin/ is the
# operator commands, not a service).
SERVICES = sorted(registry())

Obj = dict[str, Any]


@functools.cache
def render(overlay: str) -> tuple[Obj, ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if CI:
            pytest.fail("kubectl is not installed; under CI=true the manifests must be checked")
        pytest.skip("kubectl is not installed (it renders the kustomize overlays)")
    out = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return tuple(doc for doc in yaml.safe_load_all(out.stdout) if doc)


def of_kind(objs: tuple[Obj, ...], kind: str) -> list[Obj]:
    return [o for o in objs if o["kind"] == kind]


def named(objs: tuple[Obj, ...], kind: str, name: str) -> Obj:
    found = [o for o in of_kind(objs, kind) if o["metadata"]["name"] == name]
    assert found, f"no {kind} {name}"
    return found[0]


def app_deployments(objs: tuple[Obj, ...]) -> list[Obj]:
    return [d for d in of_kind(objs, "Deployment")
            if d["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == APP_LABEL]


def test_services_are_found() -> None:
    assert {"api", "dispatcher", "quota", "receipts", "mailgw"} <= set(SERVICES)
    assert {"dev", "operators"} <= set(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_strictly(overlay: str) -> None:
    custom = {p.name.removesuffix(".json"): json.loads(p.read_text())
              for p in SCHEMAS.glob("*.json")}
    for obj in render(overlay):
        what = f"{obj['kind']} {obj['metadata'].get('name')}"
        group, _, version = obj["apiVersion"].rpartition("/")
        if group and "." in group and not group.endswith(".k8s.io"):
            schema = custom.get(f"{obj['kind'].lower()}.{group}-{version}")
            assert schema is not None, f"{what}: vendor a schema for it under {SCHEMAS}"
            errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(obj)]
            assert not errors, f"{overlay}: {what}: {errors}"
            continue
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{overlay}: {what}: {exc.message} at {list(exc.path)}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_safe_deployment(overlay: str) -> None:
    objs = render(overlay)
    deployments = {d["metadata"]["name"]: d for d in app_deployments(objs)}
    pdbs = of_kind(objs, "PodDisruptionBudget")
    for service in SERVICES:
        name = f"overpush-{service}"
        assert name in deployments, f"{overlay}: services/{service} has no Deployment {name}"
        d = deployments[name]
        pod = d["spec"]["template"]["spec"]
        main = next(c for c in pod["containers"] if c["name"] == "overpush")
        assert main["args"] == ["run", service]
        problems = container_problems(pod, service)
        assert not problems, f"{overlay}: {name}: {problems}"
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert any(all(labels.get(k) == v for k, v in p["spec"]["selector"]["matchLabels"].items())
                   for p in pdbs), f"{overlay}: {name} has no PodDisruptionBudget"
        assert d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_and_dispatcher_autoscale(overlay: str) -> None:
    objs = render(overlay)
    hpas = of_kind(objs, "HorizontalPodAutoscaler")
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in hpas}
    assert {"overpush-api", "overpush-dispatcher"} <= targets
    deployments = {d["metadata"]["name"]: d for d in app_deployments(objs)}
    assert targets <= set(deployments)
    for name in targets:  # else every `kubectl apply` resets what the autoscaler chose
        assert "replicas" not in deployments[name]["spec"], f"{overlay}: {name} sets replicas"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_let_in_only_the_served_ports(overlay: str) -> None:
    objs = render(overlay)
    policies = of_kind(objs, "NetworkPolicy")
    for d in app_deployments(objs):
        labels = d["spec"]["template"]["metadata"]["labels"]
        mine = [p for p in policies if _selects(p["spec"]["podSelector"], labels)]
        assert mine, f"{overlay}: no NetworkPolicy selects {d['metadata']['name']}"
        allowed = {port["port"] for p in mine for rule in p["spec"].get("ingress", [])
                   for port in rule.get("ports", [])}
        served = {port["name"] for c in d["spec"]["template"]["spec"]["containers"]
                  for port in c.get("ports", [])}
        assert allowed == served, f"{overlay}: {d['metadata']['name']}: {allowed} != {served}"


def _selects(selector: Obj, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        if expr["operator"] != "In" or labels.get(expr["key"]) not in expr["values"]:
            return False
    return True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_and_ingress_reach_the_pods(overlay: str) -> None:
    objs = render(overlay)
    config = named(objs, "ConfigMap", "overpush-config")["data"]
    api = named(objs, "Service", "overpush-api")
    api_pod = named(objs, "Deployment", "overpush-api")["spec"]["template"]["spec"]
    api_ports = {p["name"]: p["containerPort"] for p in api_pod["containers"][0]["ports"]}
    assert api_ports["http"] == int(config["OVERPUSH_HTTP_PORT"])
    assert {p["targetPort"] for p in api["spec"]["ports"]} <= set(api_ports)

    mail = named(objs, "Service", "overpush-mailgw")
    [smtp] = mail["spec"]["ports"]
    assert smtp["port"] == 25 and smtp["protocol"] == "TCP"
    mail_pod = named(objs, "Deployment", "overpush-mailgw")["spec"]["template"]["spec"]
    mail_ports = {p["name"]: p["containerPort"] for p in mail_pod["containers"][0]["ports"]}
    assert mail_ports[smtp["targetPort"]] == int(config["OVERPUSH_SMTP_PORT"])
    assert mail_ports[smtp["targetPort"]] >= 1024, "non-root pods cannot bind ports below 1024"

    [ingress] = of_kind(objs, "Ingress")
    notes = ingress["metadata"]["annotations"]
    # WebSockets idle between '#' keep-alives (30 s); the proxy must not cut them sooner.
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["backend"]["service"]["name"] == "overpush-api"
            assert path["backend"]["service"]["port"]["name"] in {p["name"] for p in
                                                                 api["spec"]["ports"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_runs_the_same_image(overlay: str) -> None:
    objs = render(overlay)
    job = named(objs, "Job", "overpush-migrate")
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate"]
    assert not container_problems(job["spec"]["template"]["spec"], "migrate", probes=False)
    for d in app_deployments(objs):
        pod = d["spec"]["template"]["spec"]
        assert {c["image"] for c in pod["containers"] + pod["initContainers"]} \
            == {container["image"]}
    assert "OVERPUSH_DATABASE_URL" in env_sources(container, objs)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_without_a_cluster_default_is_provided(
    overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overpush.settings import Settings

    objs = render(overlay)
    required = required_settings(Settings)
    assert {"database_url", "bus_url", "http_host"} <= set(required)
    for d in app_deployments(objs):
        pod = d["spec"]["template"]["spec"]
        main = next(c for c in pod["containers"] if c["name"] == "overpush")
        sources = env_sources(main, objs)
        for secret, alternatives in required.values():
            given = [v for v in alternatives if v in sources]
            assert given, (f"{overlay}: {d['metadata']['name']} gets none of {alternatives} "
                           "from its ConfigMap or Secrets")
            if secret:
                assert sources[given[0]] == "secret", (
                    f"{overlay}: {given[0]} is secret: take it from a Secret, "
                    f"not {sources[given[0]]}")

    # And the ConfigMap's values parse as Settings and are safe in a cluster.
    config = named(objs, "ConfigMap", "overpush-config")["data"]
    for key, value in config.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OVERPUSH_DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/overpush")
    monkeypatch.setenv("OVERPUSH_BUS_URL", "amqp://u:p@broker:5672/")
    settings = Settings()
    assert settings.log_json, "cluster logs are JSON lines"
    assert not re.match(r"127\.|localhost", settings.http_host)


def test_the_checks_catch_what_they_are_for() -> None:
    """Negative controls: a setting added later, a typo, an unsafe pod are all noticed."""
    from overpush.settings import Settings

    class Later(Settings):
        sms_api_token: str = ""
        sms_sender_id: str = ""

    required = required_settings(Later)
    assert required["sms_api_token"] == (True, ["OVERPUSH_SMS_API_TOKEN"])
    assert "sms_sender_id" not in required
    objs = render("dev")
    api = named(objs, "Deployment", "overpush-api")
    assert "OVERPUSH_SMS_API_TOKEN" not in env_sources(
        api["spec"]["template"]["spec"]["containers"][0], objs)

    typo = json.loads(json.dumps(api))
    typo["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, K8S_VERSION, strict=True)
    schema = json.loads((SCHEMAS / "rabbitmqcluster.rabbitmq.com-v1beta1.json").read_text())
    rabbit = named(render("operators"), "RabbitmqCluster", "overpush-rabbitmq")
    bad = {**rabbit, "spec": {**rabbit["spec"], "replica": 3}}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))

    unsafe = json.loads(json.dumps(api["spec"]["template"]["spec"]))
    del unsafe["containers"][0]["securityContext"]
    unsafe["securityContext"] = {}
    assert len(container_problems(unsafe, "api")) >= 5
