"""Running the real `overpush` command as separate processes, as an operator would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from overpush.settings import Settings

from testkit.backends import free_port

OVERPUSH = str(Path(sys.executable).parent / "overpush")


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an `overpush` process configured as `settings` (and `extra`), with
    none of this process's own OVERPUSH_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERPUSH_")}
    env.update({
        "OVERPUSH_DATABASE_URL": settings.database_url,
        "OVERPUSH_BUS_URL": settings.bus_url,
        "OVERPUSH_BUS_PREFIX": settings.bus_prefix,
        "OVERPUSH_HTTP_HOST": settings.http_host,
        "OVERPUSH_HTTP_PORT": str(settings.http_port),
        "OVERPUSH_SMTP_PORT": str(settings.smtp_port),
        **extra,
    })
    return env


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> dict[str, Any]:
    """Runs `overpush <args>`; it must succeed. Returns the last JSON line it printed."""
    out = subprocess.run([OVERPUSH, *args], env=env, input=stdin, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    return result


class Proc:
    """`overpush run [services]`, its output in `log`. A process without the api serves its
    probes on a free port of its own, unless `env` names one (OVERPUSH_OPS_PORT)."""

    def __init__(self, env: dict[str, str], *args: str, log: Path,
                 cwd: Path | None = None) -> None:
        self.log = log
        self._fh = log.open("ab")
        env = {"OVERPUSH_OPS_PORT": str(free_port()), **env}
        self.p = subprocess.Popen([OVERPUSH, "run", *args], env=env, stdout=self._fh,
                                  stderr=subprocess.STDOUT, cwd=cwd)

    def wait_healthy(self, base_url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.p.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"not healthy in {timeout}s:\n{self.log.read_text()}")

    def wait_log(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text():
                return
            assert self.p.poll() is None, self.log.read_text()
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not logged in {timeout}s:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            code = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            code = self.p.wait()
        self._fh.close()
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)
