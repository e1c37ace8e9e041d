"""`install-service`: a systemd user unit that starts `overpush-desktop listen` with the
session, and enabling it where systemd runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from overpush_desktop.config import write_private
from overpush_desktop.listener import ELSEWHERE, REVOKED

UNIT = "overpush-desktop.service"
ENABLE = ["systemctl", "--user", "enable", "--now", UNIT]


def unit_text(executable: str, env: Mapping[str, str]) -> str:
    """The unit. A restart after a crash or a lost network is systemd's job; after `E` or `A`
    (exit statuses 3 and 4) restarting cannot help, so it does not."""
    extra = "".join(f"Environment={k}={env[k]}\n" for k in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME")
                    if env.get(k))
    return (
        "[Unit]\n"
        "Description=Overpush desktop notifications\n"
        "After=graphical-session.target network-online.target\n"
        "\n"
        "[Service]\n"
        f"ExecStart={executable} listen\n"
        f"{extra}"
        "Restart=on-failure\n"
        "RestartSec=10\n"
        f"RestartPreventExitStatus={REVOKED} {ELSEWHERE}\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def executable() -> str:
    """This command's absolute path (inside a virtualenv, its bin/)."""
    beside = Path(sys.executable).parent / "overpush-desktop"
    found = beside if beside.exists() else shutil.which("overpush-desktop")
    return str(Path(found).resolve() if found else Path(sys.argv[0]).resolve())


def install(env: Mapping[str, str] = os.environ) -> str:
    """Write the unit and enable it; returns the one line that says what happened."""
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    path = Path(base) / "systemd" / "user" / UNIT
    write_private(path, unit_text(executable(), env))
    command = " ".join(ENABLE)
    systemctl = shutil.which("systemctl", path=env.get("PATH"))
    if systemctl is None:
        return f"wrote {path}; systemctl is not installed here, so enable it with: {command}"
    done = subprocess.run([systemctl, *ENABLE[1:]], capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        return (f"wrote {path}; {command} failed ({why[-1] if why else done.returncode}): "
                f"run it in your desktop session")
    return f"wrote {path} and ran {command}"
