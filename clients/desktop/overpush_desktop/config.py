"""Where the client keeps its state: the login (server, device, secret) and the E2EE key."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

LOGIN_FILE = "desktop.json"
KEY_FILE = "e2ee.key"


@dataclass(frozen=True)
class Login:
    """What `login` keeps; never the password."""

    server: str
    email: str
    user_key: str
    device_id: str
    device_name: str
    secret: str


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "overpush"


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "overpush"


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file only its owner can read. It is created with mode 0600 (never chmod-ed
    after, which would leave a moment when others could read it) and renamed into place, so a
    crash never leaves half a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # left by a crash: O_EXCL below must create it afresh
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_login(env: Mapping[str, str] = os.environ) -> Login | None:
    path = config_dir(env) / LOGIN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Login(**{k: str(data.get(k, "")) for k in Login.__dataclass_fields__})


def save_login(login: Login, env: Mapping[str, str] = os.environ) -> Path:
    path = config_dir(env) / LOGIN_FILE
    write_private(path, json.dumps(asdict(login), indent=2) + "\n")
    return path


def forget_login(env: Mapping[str, str] = os.environ) -> Path:
    path = config_dir(env) / LOGIN_FILE
    path.unlink(missing_ok=True)
    return path


def load_key(env: Mapping[str, str] = os.environ) -> bytes | None:
    try:
        return bytes.fromhex((config_dir(env) / KEY_FILE).read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None


def save_key(hex_key: str, env: Mapping[str, str] = os.environ) -> Path:
    path = config_dir(env) / KEY_FILE
    write_private(path, hex_key + "\n")
    return path


def forget_key(env: Mapping[str, str] = os.environ) -> Path:
    path = config_dir(env) / KEY_FILE
    path.unlink(missing_ok=True)
    return path
