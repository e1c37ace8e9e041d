"""House rules for the Kubernetes manifests, as pure functions over rendered objects."""

from __future__ import annotations

import re
import typing
from typing import Any

from overpush.bus.rabbitmq import DRAIN_TIMEOUT
from pydantic import SecretBytes, SecretStr
from pydantic_settings import BaseSettings

APP_LABEL = "overpush"
ENV_PREFIX = "OVERPUSH_"
# Settings a cluster must always set: the single-machine defaults (SQLite, the in-process
# bus, loopback) are wrong there, or (public_url) only right for one machine.
CLUSTER_REQUIRED = {"database_url", "bus_url", "http_host", "public_url"}
# A setting whose name has one of these words holds a secret (unless it names a file or an
# id), so it must come from a Secret. URLs that embed credentials are listed by name.
SECRET_WORDS = {"key", "secret", "password", "token", "credentials", "cert"}
SECRET_URLS = {"database_url", "bus_url", "smtp_relay_url"}
NOT_SECRET_SUFFIXES = {"id", "file", "sandbox", "host", "port", "endpoint"}
# Defaults that only make sense on one machine: loopback, relative paths, SQLite, memory bus.
UNSAFE_DEFAULT = re.compile(r"127\.0\.0\.1|localhost|^\./|^sqlite|^memory:")
# Secret-bearing settings deliberately left unset by the base manifests, and why.
OPTIONAL_IN_CLUSTER = {
    # STARTTLS on the SMTP gateway needs a certificate mounted as files; deploy/README.md
    # shows the patch. Without it the gateway speaks plain SMTP, as most MX hosts accept.
    "smtp_tls_cert", "smtp_tls_key",
}

Obj = dict[str, Any]


def is_secret(name: str, annotation: Any) -> bool:
    if name in SECRET_URLS:
        return True
    if annotation in (SecretStr, SecretBytes) or any(
        a in (SecretStr, SecretBytes) for a in typing.get_args(annotation)
    ):
        return True
    if annotation is not str and str not in typing.get_args(annotation):
        return False  # numbers and flags (password_hash_concurrency) hold no secret
    words = name.split("_")
    return bool(SECRET_WORDS & set(words)) and words[-1] not in NOT_SECRET_SUFFIXES


def required_settings(settings: type[BaseSettings]) -> dict[str, tuple[bool, list[str]]]:
    """Each setting a cluster must provide: (is it secret, the env names that provide it)."""
    fields = settings.model_fields
    out: dict[str, tuple[bool, list[str]]] = {}
    for name, field in fields.items():
        secret = is_secret(name, field.annotation)
        unsafe = isinstance(field.default, str) and bool(UNSAFE_DEFAULT.search(field.default))
        if not (secret or unsafe or name in CLUSTER_REQUIRED) or name in OPTIONAL_IN_CLUSTER:
            continue
        names = [f"{ENV_PREFIX}{name.upper()}"]
        if f"{name}_file" in fields:  # the value, or a file that holds it
            names.append(f"{ENV_PREFIX}{name.upper()}_FILE")
        out[name] = (secret, names)
    return out


def _find(objs: tuple[Obj, ...], kind: str, name: str) -> Obj | None:
    return next((o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name), None)


def env_sources(container: Obj, objs: tuple[Obj, ...]) -> dict[str, str]:
    """Where each environment variable of a container comes from: secret, config or literal."""
    sources: dict[str, str] = {}
    for ref in container.get("envFrom", []):
        if "configMapRef" in ref:
            cm = _find(objs, "ConfigMap", ref["configMapRef"]["name"])
            assert cm is not None, f"ConfigMap {ref['configMapRef']['name']} is not rendered"
            sources.update(dict.fromkeys(cm.get("data", {}), "config"))
        elif "secretRef" in ref:
            secret = _find(objs, "Secret", ref["secretRef"]["name"])
            if secret is not None:
                keys = {**secret.get("data", {}), **secret.get("stringData", {})}
                sources.update(dict.fromkeys(keys, "secret"))
    for env in container.get("env", []):
        source = env.get("valueFrom", {})
        if "secretKeyRef" in source:
            sources[env["name"]] = "secret"
        elif "configMapKeyRef" in source:
            sources[env["name"]] = "config"
        else:
            used = re.findall(r"\$\((\w+)\)", env.get("value", ""))
            for var in used:
                assert var in sources, f"{env['name']} uses $({var}) before it is defined"
            secret = used and any(sources[v] == "secret" for v in used)
            sources[env["name"]] = "secret" if secret else "literal"
    return sources


def _resources_problems(container: Obj) -> list[str]:
    res = container.get("resources", {})
    return [f"{container['name']}: no {kind}.{what}" for kind in ("requests", "limits")
            for what in ("cpu", "memory") if what not in res.get(kind, {})]


def _security_problems(container: Obj) -> list[str]:
    sc = container.get("securityContext", {})
    problems = []
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation must be false")
    if sc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem must be true")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        problems.append("capabilities must drop ALL")
    return [f"{container['name']}: {p}" for p in problems]


def container_problems(pod: Obj, service: str, probes: bool = True) -> list[str]:
    """Everything that breaks the house rules in one pod spec (empty when it is fine)."""
    problems: list[str] = []
    psc = pod.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        problems.append("pod: runAsNonRoot must be true")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append("pod: seccompProfile must be RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append("pod: automountServiceAccountToken must be false")
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        problems += _resources_problems(c) + _security_problems(c)
    if not probes:
        return problems
    if pod.get("terminationGracePeriodSeconds", 30) < DRAIN_TIMEOUT + 10:
        problems.append("terminationGracePeriodSeconds is shorter than the consumers' drain")
    main = next(c for c in pod["containers"] if c["name"] == "overpush")
    port = "http" if service == "api" else "ops"
    if port not in {p["name"] for p in main.get("ports", [])}:
        problems.append(f"no container port named {port}")
    for probe, path in (("readinessProbe", "/healthz"), ("livenessProbe", "/livez")):
        get = main.get(probe, {}).get("httpGet", {})
        if (get.get("path"), get.get("port")) != (path, port):
            problems.append(f"{probe} must be GET {path} on port {port}")
    waits = [c for c in pod.get("initContainers", []) if c.get("args", [])[:2] == ["migrate",
                                                                                  "--wait"]]
    if not waits:
        problems.append("no init container waiting for the schema (overpush migrate --wait)")
    return problems
