"""What Kubernetes would run, read from rendered manifests: pure functions, no I/O."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
# kustomize's secretGenerator/configMapGenerator suffix: a 10-character content hash.
GENERATED = re.compile(r"^(?P<base>.+)-[a-z0-9]{10}$")


@dataclass(frozen=True)
class Probe:
    path: str
    port: int
    period: float
    timeout: float
    failures: int

    @property
    def budget(self) -> float:
        """How long the kubelet keeps trying before it gives up (period x failureThreshold)."""
        return self.period * self.failures


@dataclass
class Container:
    """One container as the kubelet would start it (the values podman needs)."""

    pod: str
    name: str
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str]
    ports: dict[str, int]
    user: str | None
    read_only: bool
    drop_all_caps: bool
    no_new_privileges: bool
    tmpfs: dict[str, str] = field(default_factory=dict)  # mount path -> size (emptyDirs)
    memory: str | None = None
    cpus: str | None = None
    startup: Probe | None = None
    readiness: Probe | None = None
    grace: int = 30
    pre_stop_sleep: int = 0


def of_kind(objs: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o["kind"] == kind]


def named(objs: list[Obj], kind: str, name: str) -> Obj:
    found = [o for o in of_kind(objs, kind) if o["metadata"]["name"] == name]
    assert found, f"no {kind} {name}"
    return found[0]


def base_name(name: str) -> str:
    m = GENERATED.match(name)
    return m.group("base") if m else name


def secret_data(secret: Obj) -> dict[str, str]:
    out = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    out.update(secret.get("stringData") or {})
    return out


def service_links(objs: list[Obj], namespace: str) -> dict[str, str]:
    """The variables the kubelet adds for every Service of the namespace (enableServiceLinks).

    Cluster IPs are made up: only the names matter, since every setting reads OVERPUSH_*.
    """
    env: dict[str, str] = {}
    services = [s for s in of_kind(objs, "Service")
                if s["metadata"].get("namespace", namespace) == namespace]
    for i, svc in enumerate(sorted(services, key=lambda s: s["metadata"]["name"])):
        prefix = svc["metadata"]["name"].upper().replace("-", "_")
        ip = f"10.96.0.{10 + i}"
        ports = svc["spec"].get("ports", [])
        if not ports:
            continue
        first = ports[0]
        env[f"{prefix}_SERVICE_HOST"] = ip
        env[f"{prefix}_SERVICE_PORT"] = str(first["port"])
        env[f"{prefix}_PORT"] = f"tcp://{ip}:{first['port']}"
        for p in ports:
            proto = p.get("protocol", "TCP")
            key = f"{prefix}_PORT_{p['port']}_{proto}"
            if "name" in p:
                env[f"{prefix}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
            env.update({key: f"{proto.lower()}://{ip}:{p['port']}", f"{key}_PROTO": proto.lower(),
                        f"{key}_PORT": str(p["port"]), f"{key}_ADDR": ip})
    return env


def container_env(objs: list[Obj], namespace: str, c: Obj,
                  secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The environment in Kubernetes' order: service links, then envFrom, then env.

    `secrets` are the test's Secret values by name (generator suffix removed); a key the
    rendered Secret does not have is an error, so the test's values match the manifests'.
    """
    env = service_links(objs, namespace)
    for src in c.get("envFrom", []):
        ref = src.get("configMapRef") or src.get("secretRef")
        assert ref is not None, f"unsupported envFrom {src}"
        kind = "ConfigMap" if "configMapRef" in src else "Secret"
        obj = named(objs, kind, ref["name"])
        data = (obj.get("data") or {}) if kind == "ConfigMap" else secret_data(obj)
        env.update({src.get("prefix", "") + k: v for k, v in data.items()})
    for var in c.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
            continue
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        assert ref is not None, f"unsupported env source {var}"
        present = [s for s in of_kind(objs, "Secret") if s["metadata"]["name"] == ref["name"]]
        if not present:
            assert ref.get("optional"), f"{var['name']}: Secret {ref['name']} does not exist"
            continue
        rendered = secret_data(present[0])
        assert ref["key"] in rendered, f"{var['name']}: no key {ref['key']} in {ref['name']}"
        given = secrets.get(base_name(ref["name"]), {})
        assert ref["key"] in given, f"the test gives no {base_name(ref['name'])}/{ref['key']}"
        env[var["name"]] = given[ref["key"]]
    return env


def probe(spec: Obj | None, ports: dict[str, int]) -> Probe | None:
    if spec is None:
        return None
    get = spec["httpGet"]
    port = get["port"]
    return Probe(path=get["path"], port=ports[port] if isinstance(port, str) else int(port),
                 period=spec.get("periodSeconds", 10), timeout=spec.get("timeoutSeconds", 1),
                 failures=spec.get("failureThreshold", 3))


def merged_security(pod: Obj, c: Obj) -> Obj:
    return {**(pod.get("securityContext") or {}), **(c.get("securityContext") or {})}


def containers(objs: list[Obj], workload: Obj, secrets: dict[str, dict[str, str]],
               init: bool = False) -> list[Container]:
    """The containers (or init containers) of a Deployment or Job, as the kubelet runs them."""
    namespace = workload["metadata"].get("namespace", "default")
    pod = workload["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    out = []
    for c in pod.get("initContainers" if init else "containers", []):
        sec = merged_security(pod, c)
        ports = {p.get("name", str(p["containerPort"])): p["containerPort"]
                 for p in c.get("ports", [])}
        tmpfs = {}
        for m in c.get("volumeMounts", []):
            empty = volumes[m["name"]].get("emptyDir")
            assert empty is not None, f"only emptyDir volumes are run here: {m}"
            tmpfs[m["mountPath"]] = empty.get("sizeLimit", "64Mi")
        limits = c.get("resources", {}).get("limits", {})
        sleep = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        user = sec.get("runAsUser")
        out.append(Container(
            pod=workload["metadata"]["name"], name=c["name"], image=c["image"],
            command=c.get("command", []), args=c.get("args", []),
            env=container_env(objs, namespace, c, secrets), ports=ports,
            user=None if user is None else f"{user}:{sec.get('runAsGroup', user)}",
            read_only=bool(sec.get("readOnlyRootFilesystem")),
            drop_all_caps="ALL" in sec.get("capabilities", {}).get("drop", []),
            no_new_privileges=sec.get("allowPrivilegeEscalation") is False,
            tmpfs=tmpfs, memory=limits.get("memory"), cpus=limits.get("cpu"),
            startup=probe(c.get("startupProbe"), ports),
            readiness=probe(c.get("readinessProbe"), ports),
            grace=pod.get("terminationGracePeriodSeconds", 30), pre_stop_sleep=sleep,
        ))
    return out


def cpus(quantity: str) -> str:
    """A Kubernetes CPU quantity ("500m", "1") as podman's --cpus."""
    return str(int(quantity[:-1]) / 1000) if quantity.endswith("m") else quantity


def memory(quantity: str) -> str:
    """A Kubernetes memory quantity ("256Mi", "1Gi") as podman's --memory."""
    units = {"Ki": "k", "Mi": "m", "Gi": "g"}
    for suffix, short in units.items():
        if quantity.endswith(suffix):
            return quantity[: -len(suffix)] + short
    return quantity


def remap_ports(c: Container, free: dict[int, int]) -> None:
    """Host networking: give each container its own ports, in its settings and its probes.

    Every setting whose value is one of the manifests' container ports (OVERPUSH_HTTP_PORT
    8000, OVERPUSH_OPS_PORT 8081, OVERPUSH_SMTP_PORT 2525) gets the free port instead.
    """
    for key, value in list(c.env.items()):
        if key.startswith("OVERPUSH_") and key.endswith("_PORT") and value.isdigit() \
                and int(value) in free:
            c.env[key] = str(free[int(value)])
    c.ports = {name: free.get(port, port) for name, port in c.ports.items()}
    for attr in ("startup", "readiness"):
        p: Probe | None = getattr(c, attr)
        if p is not None:
            setattr(c, attr, Probe(p.path, free.get(p.port, p.port), p.period, p.timeout,
                                   p.failures))
