"""Running `overpush-desktop` as a person would: a subprocess with its own config folders,
optionally a session bus, and fake `xdg-open` / sound players on PATH that log their calls."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tests.waiting import until


async def eventually(check: Callable[[], Awaitable[bool]], what: str,
                     timeout: float = 30) -> None:
    """Poll an async condition (a server query); fail with `what` if it never holds."""
    for _ in range(int(timeout / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not in {timeout}s: {what}")


COMMAND = str(Path(sys.executable).parent / "overpush-desktop")
FAKE_TOOL = """#!/bin/sh
echo "$0 $*" >> "{log}"
"""


@dataclass
class Desktop:
    """One computer's worth of overpush-desktop state."""

    home: Path
    bus: str | None = None
    display: str | None = None

    @property
    def calls_log(self) -> Path:
        return self.home / "calls.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OVERPUSH_", "XDG_", "DBUS_")) and k != "DISPLAY"}
        env.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / "config"),
                   XDG_CACHE_HOME=str(self.home / "cache"),
                   PATH=f"{self.home / 'bin'}:{os.environ.get('PATH', '')}")
        if self.bus:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.bus
        if self.display:
            env["DISPLAY"] = self.display
        return env

    def fake_tools(self, *names: str) -> None:
        """Put `names` (xdg-open, paplay, ...) first on PATH; each logs its arguments."""
        (self.home / "bin").mkdir(parents=True, exist_ok=True)
        for name in names:
            tool = self.home / "bin" / name
            tool.write_text(FAKE_TOOL.format(log=self.calls_log))
            tool.chmod(0o755)

    def calls(self) -> list[str]:
        return self.calls_log.read_text().splitlines() if self.calls_log.exists() else []

    @property
    def login_file(self) -> Path:
        return self.home / "config" / "overpush" / "desktop.json"

    def saved(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.login_file.read_text())
        return data

    async def run(self, *args: str, stdin: str = "",
                  env: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Run a command to its end without blocking the event loop (the server may be in
        this process); returns (status, stdout, stderr)."""
        proc = await asyncio.create_subprocess_exec(
            COMMAND, *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env or self.env())
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    async def login(self, server: str, email: str, password: str, *extra: str) -> str:
        code, out, err = await self.run("login", "--server", server, "--email", email,
                                        "--password-stdin", *extra, stdin=password + "\n")
        assert code == 0, err
        return out

    async def listen(self, *args: str) -> Listening:
        log = self.home / "listen.log"
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            proc = await asyncio.create_subprocess_exec(
                COMMAND, "listen", *args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=fd, env=self.env())
        finally:
            os.close(fd)
        return Listening(proc, log)


class Listening:
    """A running `overpush-desktop listen`; any still running after a test (one that failed
    half-way) is stopped by tests/desktop/conftest.py."""

    running: ClassVar[set[Listening]] = set()

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log
        Listening.running.add(self)

    async def line(self, timeout: float = 30) -> str:
        assert self.proc.stdout is not None
        try:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"no output in {timeout}s; log:\n{self.log.read_text()}") from None
        assert raw, f"listen ended ({self.proc.returncode}); log:\n{self.log.read_text()}"
        return raw.decode().rstrip("\n")

    async def message(self, timeout: float = 30) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(await self.line(timeout))
        return data

    async def wait_log(self, text: str, timeout: float = 30) -> None:
        await until(lambda: text in self.log.read_text(),
                    f"{text!r} logged; log:\n{self.log.read_text()}", timeout)

    async def exit_status(self, timeout: float = 30) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self) -> None:
        Listening.running.discard(self)
        if self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()
