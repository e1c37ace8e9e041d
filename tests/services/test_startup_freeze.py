"""What `overpush run` made at start-up is frozen (gc.freeze): the collector's full passes no
longer walk it, while what the process makes afterwards is collected as before.

The check runs in a process of its own, as `overpush run` does (freezing this test process
would change every later test's collector): it runs every service on SQLite, and when the
runner announces it is running, it looks at the collector and stops the process with SIGTERM.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from testkit.backends import sqlite_settings
from testkit.procs import env_for

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import gc, json, logging, os, signal

from overpush import eventloop
from overpush.settings import Settings
from services.runner import run

at_start = [object()]  # present before start-up, like the modules and the app it builds
seen = {"before": gc.get_freeze_count()}


class Running(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith("overpush running"):
            return
        afterwards = [object()]
        walked = {id(o) for o in gc.get_objects()}
        seen.update(frozen=gc.get_freeze_count(), tracked=gc.is_tracked(at_start),
                    at_start_walked=id(at_start) in walked,
                    afterwards_walked=id(afterwards) in walked)
        os.kill(os.getpid(), signal.SIGTERM)


log = logging.getLogger("services.runner")
log.setLevel(logging.INFO)
log.addHandler(Running())
settings = Settings()
eventloop.run(run(settings, []), settings.event_loop)
print(json.dumps(seen))
"""


def test_what_start_up_made_is_frozen_and_later_objects_are_not(tmp_path: Path) -> None:
    env = env_for(sqlite_settings(tmp_path))
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == 0
    assert seen["frozen"] > 0
    # Still tracked, but in the permanent generation that no collection walks.
    assert seen["tracked"] and not seen["at_start_walked"]
    assert seen["afterwards_walked"]
