"""The image, run for real with the configuration deploy/k8s/overlays/dev gives each container.

One podman container per Deployment, with its command, arguments, environment (ConfigMap and
Secrets, the Secrets holding the test's values), security context, limits, emptyDirs and
probes, against this machine's PostgreSQL (a fresh database) and RabbitMQ (a fresh vhost).
The migrate Job runs first, then every Deployment's init containers, then its container.

Where this differs from a cluster, and why:
* Host network, since pods have no network of their own here: every container gets its own
  free ports instead of the manifests' 8000 / 8081 / 2525 (settings and probes alike), and
  listens on 127.0.0.1 instead of the ConfigMap's 0.0.0.0 (not on the host's interfaces).
* Probes are polled every 0.1 s (to time start-up), within the manifests' budgets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from testkit.backends import free_port
from testkit.device import DesktopDevice
from tests.deploy import podman
from tests.deploy.manifests import Container, Obj, containers, named, of_kind, remap_ports
from tests.mailtools import send
from tests.needs import CI

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = ROOT / "deploy" / "k8s" / "overlays" / "dev"
ARTIFACTS = ROOT / "test-artifacts" / "deploy"
PASSWORD = "a long enough password"
MAIL = (b"From: cron@example.org\r\nSubject: Backup finished\r\n"
        b"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nSQL1 took 16 minutes.\r\n")

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.rabbitmq]


def render() -> list[Obj]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if CI:
            pytest.fail("kubectl is not installed; under CI=true the manifests must run")
        pytest.skip("kubectl is not installed (it renders the kustomize overlay)")
    out = subprocess.run([kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def on_this_host(c: Container) -> Container:
    """Own free ports, loopback only (see the module docstring)."""
    remap_ports(c, {port: free_port() for port in (8000, 8081, 2525)})
    c.env.update(OVERPUSH_HTTP_HOST="127.0.0.1", OVERPUSH_SMTP_HOST="127.0.0.1")
    return c


def json_out(out: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert out.returncode == 0, out.stderr + out.stdout
    result: dict[str, Any] = json.loads(
        [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
    return result


def test_image_runs_read_only_as_the_non_root_user(image: str) -> None:
    run = [*podman.podman(), "run", "--rm", "--pull", "never", "--read-only",
           "--read-only-tmpfs=false", "--network", "none", *podman.ulimits()]
    out = subprocess.run([*run, image, "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "usage: overpush" in out.stdout, out.stderr
    # Nothing of the build machine's apt or pip settings (build secrets) is in the image.
    check = ("id -u; test ! -e /etc/pip.conf; test ! -e /run/secrets; "
             "test ! -e /etc/apt/apt.conf.d/99build-host; echo clean")
    out = subprocess.run([*run, "--entrypoint", "sh", image, "-c", check],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["10001", "clean"], out.stdout + out.stderr


@pytest.mark.timeout(900)
async def test_dev_overlay_runs_and_delivers(image: str, pg_url: str, vhost: str) -> None:
    objs = render()
    secrets = {"overpush-database": {"url": pg_url}, "overpush-broker": {"url": vhost}}
    run_id = uuid.uuid4().hex[:8]
    deployments = [d for d in of_kind(objs, "Deployment")
                   if d["metadata"]["labels"].get("app.kubernetes.io/part-of") == "overpush"]
    assert {d["metadata"]["name"] for d in deployments} == {
        f"overpush-{s}" for s in ("api", "dispatcher", "quota", "receipts", "mailgw")}
    started: list[str] = []
    timings: dict[str, dict[str, float]] = {}
    try:
        # 1. The migrate Job, to completion.
        [migrate] = containers(objs, named(objs, "Job", "overpush-migrate"), secrets)
        t0 = time.monotonic()
        out = podman.run_once(migrate, f"op{run_id}-migrate", image)
        assert out.returncode == 0, out.stderr + out.stdout
        timings["overpush-migrate"] = {"completed": time.monotonic() - t0}

        # 2. Every Deployment at once: init containers in order, then the container, then
        #    its startup probe (within periodSeconds x failureThreshold) and readiness probe.
        services = {d["metadata"]["name"]: on_this_host(containers(objs, d, secrets)[0])
                    for d in deployments}
        async with httpx.AsyncClient() as http:
            async def bring_up(d: Obj) -> None:
                pod = d["metadata"]["name"]
                c, t0, t = services[pod], time.monotonic(), timings.setdefault(pod, {})
                for init in containers(objs, d, secrets, init=True):
                    done = await asyncio.to_thread(
                        podman.run_once, init, f"op{run_id}-{pod}-{init.name}", image)
                    assert done.returncode == 0, done.stderr + done.stdout
                t["init"] = time.monotonic() - t0
                name = f"op{run_id}-{pod}"
                t1 = time.monotonic()
                await asyncio.to_thread(podman.start, c, name, image)
                started.append(name)
                assert c.startup is not None and c.readiness is not None
                t["live"] = await podman.wait_probe(http, name, c.startup, c.startup.budget)
                t["ready"] = t["live"] + await podman.wait_probe(
                    http, name, c.readiness, c.readiness.budget)
                t["container_to_ready"] = time.monotonic() - t1

            await asyncio.gather(*(bring_up(d) for d in deployments))

        # 3. A user and an app, made as an operator would: the CLI with the api's settings.
        api, mailgw = services["overpush-api"], services["overpush-mailgw"]
        user = json_out(await asyncio.to_thread(
            podman.run_once, dataclasses.replace(api, args=[
                "admin", "create-user", "ann@example.com", "--password-stdin"]),
            f"op{run_id}-admin-1", image, stdin=PASSWORD + "\n"))
        app = json_out(await asyncio.to_thread(
            podman.run_once, dataclasses.replace(api, args=[
                "admin", "create-app", "ann@example.com", "Backups"]),
            f"op{run_id}-admin-2", image))
        assert user["email_alias"].endswith("@" + api.env["OVERPUSH_MAIL_DOMAIN"])

        # 4. A message through the api container, then a mail through the mailgw container,
        #    each received by a desktop device over the api container's WebSocket.
        base = f"http://127.0.0.1:{api.env['OVERPUSH_HTTP_PORT']}"
        device = DesktopDevice(base, "ann@example.com", PASSWORD, name="laptop")
        async with httpx.AsyncClient(timeout=30) as http:
            await device.login(http)
            await device.register(http)
            await device.connect()
            r = await http.post(f"{base}/1/messages.json", data={
                "token": app["token"], "user": user["user_key"], "title": "Deployed",
                "message": "Sent through the api container.", "sound": "bike"})
            assert r.status_code == 200 and r.json()["status"] == 1, r.text
            assert await device.frame_other_than_keepalive(timeout=30) == b"!"
            [m] = await device.sync(http)
            assert (m["title"], m["message"], m["app"], m["sound"]) == (
                "Deployed", "Sent through the api container.", "Backups", "bike")

            reply = await send("127.0.0.1", int(mailgw.env["OVERPUSH_SMTP_PORT"]),
                               user["email_alias"], MAIL)
            assert reply.code == 250, reply
            got: list[dict[str, Any]] = []
            while not got:
                assert await device.frame_other_than_keepalive(timeout=30) == b"!"
                got = await device.sync(http)
            assert [(g["title"], g["message"], g["app"]) for g in got] == [
                ("Backup finished", "SQL1 took 16 minutes.", "E-mail")]
            await device.close()

        # 5. SIGTERM, as the kubelet sends it: every container exits 0 within its grace period.
        stops = await asyncio.gather(*(
            asyncio.to_thread(podman.stop, f"op{run_id}-{pod}", c.grace, c.pre_stop_sleep)
            for pod, c in services.items()))
        for s in stops:
            timings[s.name.removeprefix(f"op{run_id}-")]["stop"] = s.seconds
        failed = [s for s in stops if s.exit_code != 0 or s.seconds > s.grace]
        assert not failed, [(s, podman.logs(s.name)[-3000:]) for s in failed]
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in started:
            (ARTIFACTS / f"{name.removeprefix(f'op{run_id}-')}.log").write_text(
                podman.logs(name))
        (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
        podman.remove(started)
    print("\ncontainer timings (s):", json.dumps(
        {k: {m: round(v, 1) for m, v in t.items()} for k, t in timings.items()}, indent=1))
