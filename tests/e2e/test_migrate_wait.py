"""`overpush migrate --wait`: what each pod's init container runs while the migrate Job works."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testkit.backends import sqlite_settings
from testkit.procs import OVERPUSH, cli, env_for

pytestmark = pytest.mark.slow  # real `overpush` commands


def test_wait_fails_on_an_unmigrated_database_and_passes_after_migrate(tmp_path: Path) -> None:
    env = env_for(sqlite_settings(tmp_path))
    wait = [OVERPUSH, "migrate", "--wait", "--timeout", "0"]
    before = subprocess.run(wait, env=env, capture_output=True, text=True, timeout=60)
    assert before.returncode == 1, before.stderr
    assert "waiting for the migration" in before.stderr

    cli(env, "migrate")
    after = subprocess.run(wait, env=env, capture_output=True, text=True, timeout=60)
    assert after.returncode == 0, after.stderr
    assert "schema is current" in after.stderr


def test_logs_are_json_lines_when_asked(tmp_path: Path) -> None:
    # The ConfigMap sets OVERPUSH_LOG_JSON=true so cluster log collectors get one object a line.
    env = env_for(sqlite_settings(tmp_path), OVERPUSH_LOG_JSON="true")
    out = subprocess.run([OVERPUSH, "migrate", "--wait", "--timeout", "0"], env=env,
                         capture_output=True, text=True, timeout=60)
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.strip()]
    assert lines, out.stderr
    assert {"ts", "level", "logger", "msg"} <= set(lines[0])
    assert any("waiting for the migration" in line["msg"] for line in lines)
