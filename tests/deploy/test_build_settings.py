"""deploy/build_settings.py: this machine's apt and pip settings turned into build secrets."""

from __future__ import annotations

import configparser
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load() -> ModuleType:
    # deploy/ is not a package: the script is run by deploy/build-image.sh with python3.
    spec = importlib.util.spec_from_file_location("build_settings",
                                                  ROOT / "deploy" / "build_settings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_settings"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bs = load()

POLICY = """Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 http://mirror.example/debian-security bookworm-security/main amd64 Packages
     release v=12,o=Debian,a=oldstable-security,n=bookworm-security,l=Debian-Security,c=main
 500 http://mirror.example/debian bookworm-updates/main amd64 Packages
 500 http://mirror.example/debian bookworm/main amd64 Packages
 500 http://mirror.example/debian bookworm/contrib amd64 Packages
 500 https://deb.nodesource.com/node_20.x nodistro/main amd64 Packages
 500 http://mirror.example/debian trixie/main amd64 Packages
Pinned packages:
"""


def test_apt_sources_keep_the_base_release_and_its_updates_only() -> None:
    assert bs.apt_sources(POLICY, "bookworm").splitlines() == [
        "deb http://mirror.example/debian-security bookworm-security main",
        "deb http://mirror.example/debian bookworm-updates main",
        "deb http://mirror.example/debian bookworm main",
        "deb http://mirror.example/debian bookworm contrib",
    ]
    assert bs.apt_sources(POLICY, "bullseye") == ""


def test_apt_conf_points_at_the_secrets_and_keeps_acquire_settings() -> None:
    dump = ('APT "";\nAcquire::http::Proxy "http://proxy.example:3128";\n'
            'Acquire::Check-Valid-Until "false";\nDPkg::Post-Invoke "touch /x";\n')
    conf = bs.apt_conf(dump, with_ca=True).splitlines()
    assert conf == [
        'Dir::Etc::SourceList "/run/secrets/apt_sources";',
        'Dir::Etc::SourceParts "/run/secrets/apt_sources.d";',
        'Acquire::https::CAInfo "/run/secrets/host_ca";',
        'Acquire::http::Proxy "http://proxy.example:3128";',
        'Acquire::Check-Valid-Until "false";',
    ]
    assert not any("CAInfo" in line for line in bs.apt_conf(dump, with_ca=False).splitlines())


def test_pip_settings_move_files_into_secrets_and_drop_local_folders() -> None:
    listed = "\n".join([
        ":env:.cert='/etc/ssl/certs/ca-certificates.crt'",
        ":env:.default-timeout='180'",
        "global.cert='/usr/local/share/old.crt'",
        "global.constraint='/etc/xdg/pip/constraints.txt /etc/more.txt'",
        "global.index-url='https://pypi.mirror.example/simple'",
        "global.extra-index-url='file:///opt/pypi/simple https://extra.example/simple'",
        "global.find-links='/opt/wheels'",
        "install.log='/var/log/pip.log'",
        "install.no-compile='true'",
    ])
    got = bs.pip_settings(listed)
    # The environment wins over files, as in pip.
    assert got.ca == "/etc/ssl/certs/ca-certificates.crt"
    assert got.constraints == ["/etc/xdg/pip/constraints.txt", "/etc/more.txt"]
    assert got.dropped == ["file:///opt/pypi/simple", "/opt/wheels", "log=/var/log/pip.log"]
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(got.conf)
    assert dict(conf["global"]) == {
        "cert": "/run/secrets/host_ca",
        "default-timeout": "180",
        "constraint": "/run/secrets/pip_constraints",
        "index-url": "https://pypi.mirror.example/simple",
        "extra-index-url": "https://extra.example/simple",
    }
    assert dict(conf["install"]) == {"no-compile": "true"}


def test_no_pip_settings_make_an_empty_file() -> None:
    got = bs.pip_settings("")
    assert (got.conf, got.ca, got.constraints, got.dropped) == ("", None, [], [])
