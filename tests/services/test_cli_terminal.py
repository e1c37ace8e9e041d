"""The `overpush` command in a directory of its own: its version, the password asked on a
terminal (a real pty), confirmation of deletions, no Alembic chatter, and the warning when an
admin command is about to create a new, empty database (never for `overpush run`)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from testkit.backends import free_port
from testkit.procs import OVERPUSH, Proc

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
WARNING = "warning: there is no database at"


def plain_env(**extra: str) -> dict[str, str]:
    """No OVERPUSH_* of ours: the defaults, as an operator's shell has them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERPUSH_")}
    return {**env, **extra}


def overpush(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([OVERPUSH, *args], cwd=cwd, env=plain_env(), input=stdin,
                          capture_output=True, text=True, timeout=120)


class Terminal:
    """`overpush ARGS` with a pty as its controlling terminal, as a person at a shell."""

    def __init__(self, cwd: Path, *args: str) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: becomes the command
            os.chdir(cwd)
            os.execve(OVERPUSH, [OVERPUSH, *args], plain_env())
        self.pid, self.fd, self.seen = pid, fd, ""

    def expect(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            assert time.monotonic() < deadline, f"no {text!r} in {self.seen!r}"
            ready, _, _ = select.select([self.fd], [], [], 1)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    assert text in self.seen, f"no {text!r} in {self.seen!r}"

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def finish(self) -> int:
        """Reads to the end; the exit status."""
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk.decode(errors="replace")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def test_version(tmp_path: Path) -> None:
    out = overpush(tmp_path, "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"overpush {version('overpush')}"


def test_new_database_warning_and_no_alembic_lines(tmp_path: Path) -> None:
    first = overpush(tmp_path, "admin", "list-users")
    assert first.returncode == 0 and json.loads(first.stdout) == {"users": []}
    db = tmp_path / "var" / "overpush.db"
    assert f"{WARNING} {db}" in first.stderr and "relative to the directory" in first.stderr
    assert "alembic" not in first.stderr and "Context impl" not in first.stderr
    assert db.exists()
    again = overpush(tmp_path, "admin", "create-user", "me@example.com", "--password-stdin",
                     stdin="a long password\n")
    assert again.returncode == 0 and again.stderr == ""  # the database is there now
    assert json.loads(again.stdout)["email"] == "me@example.com"


def test_password_is_asked_on_a_terminal(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "admin", "create-user", "me@example.com")
    term.expect("Password for the new user: ")
    term.type("a long password")
    term.expect("Password again: ")
    term.type("a long password")
    assert term.finish() == 0
    assert "a long password" not in term.seen  # never echoed
    assert '"email": "me@example.com"' in term.seen

    term = Terminal(tmp_path, "admin", "create-user", "you@example.com")
    term.expect("Password for the new user: ")
    term.type("a long password")
    term.expect("Password again: ")
    term.type("another password")
    assert term.finish() == 1 and "the two passwords differ" in term.seen
    # Without a terminal and without --password-stdin, nobody is asked.
    out = subprocess.run([OVERPUSH, "admin", "create-user", "you@example.com"], cwd=tmp_path,
                         env=plain_env(), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1 and "--password-stdin" in out.stdout
    users = json.loads(overpush(tmp_path, "admin", "list-users").stdout)["users"]
    assert [u["email"] for u in users] == ["me@example.com"]

    # A deletion asks at the terminal: "n" keeps the user, "y" deletes them.
    for answer, status in (("n", 1), ("y", 0)):
        term = Terminal(tmp_path, "admin", "delete-user", "me@example.com")
        term.expect("Delete user me@example.com with 1 application(s), 0 device(s)")
        term.type(answer)
        assert term.finish() == status, term.seen
    assert json.loads(overpush(tmp_path, "admin", "list-users").stdout) == {"users": []}


def test_run_creates_its_database_without_a_warning(tmp_path: Path) -> None:
    port = free_port()
    env = plain_env(OVERPUSH_HTTP_PORT=str(port), OVERPUSH_SMTP_PORT=str(free_port()))
    log = tmp_path / "run.log"
    proc = Proc(env, log=log, cwd=tmp_path)
    try:
        proc.wait_healthy(f"http://127.0.0.1:{port}", timeout=120)
    finally:
        proc.stop()
    text = log.read_text()
    assert (tmp_path / "var" / "overpush.db").exists()
    assert WARNING not in text
    assert "Running upgrade" in text  # what it changed, and nothing else from Alembic
    assert "Context impl" not in text and "Will assume" not in text
