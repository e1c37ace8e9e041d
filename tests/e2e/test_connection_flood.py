"""One client flooding the api with idle connections cannot take the server down (issue 14,
item 2). The server runs as a real `overpush run` process whose descriptor limit is lowered to
300 (instead of opening 20,000 sockets against the real limit); one client then opens 400
connections. Connections beyond its per-client cap are refused with a 503 and closed, the
ones accepted keep working, and another client still gets /healthz and the SMTP banner."""

from __future__ import annotations

import resource
import socket
import subprocess
import time
from pathlib import Path

import pytest

from testkit.backends import free_port, sqlite_settings
from testkit.procs import OVERPUSH, env_for

pytestmark = pytest.mark.slow
FLOOD = 400
LIMIT = 300


def _limit_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


def _connect(port: int, source: str = "127.0.0.1", timeout: float = 10) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(source, 0))
    return s


def _ask(s: socket.socket, path: str) -> bytes:
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return s.recv(4096)


def test_one_client_flooding_leaves_others_served(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    log = tmp_path / "overpush.log"
    env = env_for(settings, OVERPUSH_MAX_CONNECTIONS_PER_CLIENT="20",
                  OVERPUSH_HTTP_HEADER_TIMEOUT="60", OVERPUSH_OPS_PORT=str(free_port()),
                  OVERPUSH_MAIL_DIR=str(tmp_path / "mail"))
    with log.open("ab") as out:
        proc = subprocess.Popen([OVERPUSH, "run"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, preexec_fn=_limit_descriptors)
    port = settings.http_port
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with _connect(port, "127.0.0.2", 2) as probe:
                    if b" 200 " in _ask(probe, "/healthz"):
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)

        refused = 0
        for _ in range(FLOOD):
            s = _connect(port)
            s.settimeout(0.2)
            try:
                first = s.recv(4096)
            except TimeoutError:  # accepted: nothing to say until asked
                held.append(s)
                continue
            assert first.startswith(b"HTTP/1.1 503"), first[:200]
            refused += 1
            s.close()
        # A refusal slower than 0.2 s to arrive (a busy machine) is still a refusal.
        for s in list(held):
            s.settimeout(1)
            try:
                late = s.recv(4096)
            except TimeoutError:
                continue
            assert late.startswith(b"HTTP/1.1 503"), late[:200]
            held.remove(s)
            s.close()
            refused += 1
        assert len(held) == 20 and refused == FLOOD - 20

        # Another client is served: the probe and the SMTP banner.
        with _connect(port, "127.0.0.2") as other:
            assert b" 200 " in _ask(other, "/healthz")
        with _connect(settings.smtp_port, "127.0.0.2") as smtp:
            assert smtp.recv(512).startswith(b"220")
        # The flooding client's accepted connections still work.
        held[0].settimeout(10)
        assert b" 200 " in _ask(held[0], "/healthz")
        assert "Too many open files" not in log.read_text()
    finally:
        for s in held:
            s.close()
        proc.terminate()
        proc.wait(30)
