"""This machine's apt and pip settings as build secrets for deploy/Dockerfile's build stage.

deploy/build-image.sh runs `python3 deploy/build_settings.py DIR SUITE`, which reads
`apt-cache policy`, `apt-config dump` and `pip config list` and writes into DIR one file per
secret the Dockerfile mounts (apt_conf, apt_sources, host_ca, pip_conf, pip_constraints).
Inside the build the secrets are at /run/secrets/<id> (apt_conf and pip_conf at the paths apt
and pip read), so the files refer to each other there. Local folders (file:// indexes,
find-links) cannot travel as secrets: they are left out, with a note on stderr.
"""

from __future__ import annotations

import configparser
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SECRETS = "/run/secrets"
# The pip options whose values are lists of places to find packages.
LOCATIONS = ("index-url", "extra-index-url", "find-links")
# apt settings a build needs to reach the mirror the way this machine does.
APT_KEYS = re.compile(r"^Acquire::((https?|ftp)::Proxy|Check-Valid-Until|Check-Date)\b")


def apt_sources(policy: str, suite: str) -> str:
    """One-line sources for `suite` and its -updates/-security, from `apt-cache policy`."""
    lines: list[str] = []
    pattern = re.compile(rf"^{re.escape(suite)}(-updates|-security)?/")
    for row in policy.splitlines():
        cols = row.split()
        if len(cols) == 5 and cols[-1] == "Packages" and pattern.match(cols[2]):
            dist, _, component = cols[2].partition("/")
            line = f"deb {cols[1]} {dist} {component}"
            if line not in lines:
                lines.append(line)
    return "".join(f"{line}\n" for line in lines)


def apt_conf(dump: str, with_ca: bool) -> str:
    """apt.conf for the build: the sources secret instead of the image's, and Acquire settings."""
    out = [f'Dir::Etc::SourceList "{SECRETS}/apt_sources";',
           f'Dir::Etc::SourceParts "{SECRETS}/apt_sources.d";']
    if with_ca:
        out.append(f'Acquire::https::CAInfo "{SECRETS}/host_ca";')
    out += [line for line in dump.splitlines() if APT_KEYS.match(line)]
    return "".join(f"{line}\n" for line in out)


def local_path(token: str) -> str | None:
    """The local file or folder a pip location names, or None for a remote URL."""
    if token.startswith("file://"):
        return token.removeprefix("file://")
    return token if token.startswith("/") else None


@dataclass
class PipSettings:
    conf: str
    ca: str | None = None
    constraints: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def pip_settings(config_list: str) -> PipSettings:
    """`pip config list` as one pip.conf that points into /run/secrets.

    Environment variables (`:env:.`) win over files, as in pip. The CA bundle and the
    constraint files travel as secrets; local package folders are dropped.
    """
    merged: dict[tuple[str, str], str] = {}
    rows = sorted(config_list.splitlines(), key=lambda row: row.startswith(":env:."))
    for row in rows:
        key, sep, value = row.partition("=")
        if not sep:
            continue
        scope, _, name = key.rpartition(".")
        merged["global" if scope == ":env:" else scope, name] = value.strip().strip("'\"")
    out = PipSettings(conf="")
    conf = configparser.ConfigParser(interpolation=None)
    for (section, name), value in merged.items():
        if name == "cert":
            out.ca, value = value, f"{SECRETS}/host_ca"
        elif name == "constraint":
            out.constraints += value.split()
            value = f"{SECRETS}/pip_constraints"
        elif name in LOCATIONS:
            kept = [t for t in value.split() if local_path(t) is None]
            out.dropped += [t for t in value.split() if local_path(t) is not None]
            if not kept:
                continue
            value = " ".join(kept)
        elif local_path(value) is not None:
            out.dropped.append(f"{name}={value}")
            continue
        if not conf.has_section(section):
            conf.add_section(section)
        conf.set(section, name, value)
    text = io.StringIO()
    conf.write(text)
    out.conf = text.getvalue()
    return out


def run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout


def write(directory: Path, suite: str) -> None:
    """The secret files, from this machine's apt and pip."""
    pip = pip_settings(run(sys.executable, "-m", "pip", "config", "list"))
    ca = pip.ca or os.environ.get("REQUESTS_CA_BUNDLE") or "/etc/ssl/certs/ca-certificates.crt"
    if Path(ca).is_file():
        (directory / "host_ca").write_bytes(Path(ca).read_bytes())
    (directory / "apt_sources").write_text(apt_sources(run("apt-cache", "policy"), suite))
    (directory / "apt_conf").write_text(
        apt_conf(run("apt-config", "dump"), (directory / "host_ca").exists()))
    (directory / "pip_conf").write_text(pip.conf)
    (directory / "pip_constraints").write_text(
        "".join(Path(c).read_text() + "\n" for c in pip.constraints if Path(c).is_file()))
    for place in pip.dropped:
        print(f"build_settings: left out of the build's pip settings (local): {place}",
              file=sys.stderr)


if __name__ == "__main__":
    write(Path(sys.argv[1]), sys.argv[2])
