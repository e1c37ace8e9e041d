"""Running manifest containers with podman on the host network, as a kubelet would."""

from __future__ import annotations

import asyncio
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass

import httpx

from tests.deploy.manifests import Container, Probe, cpus, memory

# podman here starts containers only with runc (crun refuses this machine's cgroup layout),
# and with explicit limits no higher than the machine's; conmon holds nproc at 32768 at most.
NPROC_CEILING = 32768


def podman() -> list[str]:
    exe = shutil.which("podman")
    assert exe is not None
    return [exe, "--runtime", "runc"]


def ulimits() -> list[str]:
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nofile = 1048576 if nofile == resource.RLIM_INFINITY else nofile
    nproc = NPROC_CEILING if nproc == resource.RLIM_INFINITY else min(nproc, NPROC_CEILING)
    return ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", f"nproc={nproc}:{nproc}"]


def run_args(c: Container, name: str, image: str) -> list[str]:
    """`podman run` options for a container spec (security context, limits, emptyDirs, env)."""
    args = ["--name", name, "--network", "host", "--pull", "never", *ulimits()]
    if c.read_only:
        # Only the manifest's emptyDirs are writable, not podman's default tmpfs mounts.
        args += ["--read-only", "--read-only-tmpfs=false"]
    for path, size in c.tmpfs.items():
        args += ["--tmpfs", f"{path}:rw,size={memory(size)},mode=1777"]
    if c.user:
        args += ["--user", c.user]
    if c.drop_all_caps:
        args += ["--cap-drop", "ALL"]
    if c.no_new_privileges:
        args += ["--security-opt", "no-new-privileges"]
    if c.memory:
        args += ["--memory", memory(c.memory)]
    if c.cpus:
        args += ["--cpus", cpus(c.cpus)]
    for key, value in sorted(c.env.items()):
        args += ["--env", f"{key}={value}"]
    if c.command:
        args += ["--entrypoint", c.command[0]]
        return [*args, image, *c.command[1:], *c.args]
    return [*args, image, *c.args]


def run_once(c: Container, name: str, image: str, *extra_args: str, stdin: str = "",
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a container to its end (a Job, an init container, an admin command)."""
    cmd = [*podman(), "run", "--rm", "-i", *run_args(c, name, image), *extra_args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)


def start(c: Container, name: str, image: str) -> None:
    out = subprocess.run([*podman(), "run", "--detach", *run_args(c, name, image)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def logs(name: str) -> str:
    out = subprocess.run([*podman(), "logs", name], capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


def running(name: str) -> bool:
    out = subprocess.run([*podman(), "inspect", "--format", "{{.State.Running}}", name],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.strip() == "true"


async def probe_ok(http: httpx.AsyncClient, p: Probe) -> bool:
    try:
        r = await http.get(f"http://127.0.0.1:{p.port}{p.path}", timeout=p.timeout)
    except httpx.HTTPError:
        return False
    return 200 <= r.status_code < 400


async def wait_probe(http: httpx.AsyncClient, name: str, p: Probe, budget: float) -> float:
    """Seconds until the probe first succeeds; fails past `budget` or if the container exits.

    Polls every 0.1 s rather than every periodSeconds, to time the start-up closely.
    """
    t0 = time.monotonic()
    tries = 0
    while not await probe_ok(http, p):
        tries += 1
        if tries % 10 == 0 and not await asyncio.to_thread(running, name):
            raise AssertionError(f"{name} exited before {p.path} answered:\n{logs(name)}")
        if time.monotonic() - t0 > budget:
            raise AssertionError(f"{name}: {p.path} on {p.port} not OK in {budget}s:\n"
                                 f"{logs(name)}")
        await asyncio.sleep(0.1)
    return time.monotonic() - t0


@dataclass(frozen=True)
class Stopped:
    name: str
    exit_code: int
    seconds: float
    grace: int


def stop(name: str, grace: int, pre_stop_sleep: int = 0) -> Stopped:
    """What the kubelet does: the preStop hook, then SIGTERM, then SIGKILL at the grace end.

    The grace period counts from the start of the preStop hook, as in Kubernetes.
    """
    t0 = time.monotonic()
    time.sleep(pre_stop_sleep)
    left = max(1, round(grace - pre_stop_sleep))
    out = subprocess.run([*podman(), "stop", "--time", str(left), name],
                         capture_output=True, text=True, timeout=grace + 60)
    seconds = time.monotonic() - t0
    assert out.returncode == 0, out.stderr
    code = subprocess.run([*podman(), "inspect", "--format", "{{.State.ExitCode}}", name],
                          capture_output=True, text=True, timeout=60).stdout.strip()
    return Stopped(name, int(code), seconds, grace)


def remove(names: list[str]) -> None:
    if names:
        subprocess.run([*podman(), "rm", "--force", "--ignore", *names],
                       capture_output=True, text=True, timeout=120)
