"""The web pages' own files: vendored assets as pinned (with licences, no CDN), and every
static file and template inside the package that `pip install .` builds."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "services" / "api" / "web"


def test_vendored_assets_match_their_pins() -> None:
    done = subprocess.run([sys.executable, "scripts/vendor_assets.py", "--check", "--use",
                           "shipped"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    lock = tomllib.loads((ROOT / "scripts" / "vendor_assets.toml").read_text())
    readme = (WEB / "static" / "vendor" / "README.md").read_text()
    for asset in lock["asset"]:
        if asset["use"] == "shipped":
            folder = ROOT / asset["dest"]
            assert any(p.name.startswith("LICENSE") for p in folder.iterdir()), folder
            assert f"{asset['package']}" in readme and asset["version"] in readme


def test_pages_load_nothing_from_other_hosts() -> None:
    remote = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")
    for path in [*WEB.glob("templates/*.html"), WEB / "static" / "client.html"]:
        assert not remote.search(path.read_text()), path
    for css in WEB.glob("static/*.css"):
        assert "//" not in re.sub(r"/\*.*?\*/", "", css.read_text(), flags=re.S), css


def test_every_static_file_and_template_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["services"]
    base = ROOT / "services"
    files = [p for folder in ("static", "templates")
             for p in (WEB / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert files
    missing = [str(p.relative_to(base)) for p in files
               if not any(fnmatch.fnmatchcase(str(p.relative_to(base)), pat) and
                          str(p.relative_to(base)).count("/") == pat.count("/")
                          for pat in patterns)]
    assert missing == []
