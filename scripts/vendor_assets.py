"""Fetch the pinned front-end assets of vendor_assets.toml from the npm registry, checked.

    python scripts/vendor_assets.py            fetch every asset (what `make vendor` runs)
    python scripts/vendor_assets.py --use test fetch the test assets when missing or changed
    python scripts/vendor_assets.py --check    check the files on disk, without the network

Each tarball must match the registry's sha512 integrity pinned in the lock, and each file we
keep must match its pinned sha256; nothing is written otherwise. Files land flat in `dest`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = Path(__file__).with_name("vendor_assets.toml")
REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")


@dataclass(frozen=True)
class Asset:
    name: str
    package: str
    version: str
    use: str
    integrity: str
    dest: Path
    files: dict[str, str]  # path inside the package -> sha256


def load() -> list[Asset]:
    data = tomllib.loads(LOCK.read_text())
    return [Asset(a["name"], a["package"], a["version"], a["use"], a["integrity"],
                  ROOT / a["dest"], dict(a["files"])) for a in data["asset"]]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def problems(asset: Asset) -> list[str]:
    """What is missing or different on disk (empty when the asset is as pinned)."""
    out = []
    for inner, want in asset.files.items():
        path = asset.dest / Path(inner).name
        if not path.is_file():
            out.append(f"{path.relative_to(ROOT)} is missing")
        elif sha256(path.read_bytes()) != want:
            out.append(f"{path.relative_to(ROOT)} does not match its pinned sha256")
    return out


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:
        data: bytes = answer.read()
        return data


def fetch(asset: Asset) -> None:
    meta = json.loads(download(f"{REGISTRY}/{asset.package}/{asset.version}"))
    if meta["dist"]["integrity"] != asset.integrity:
        sys.exit(f"{asset.package}@{asset.version}: the registry's integrity differs from the "
                 "pinned one; refusing")
    tarball = download(meta["dist"]["tarball"])
    algo, _, want = asset.integrity.partition("-")
    if base64.b64encode(hashlib.new(algo, tarball).digest()).decode() != want:
        sys.exit(f"{asset.package}@{asset.version}: tarball does not match its integrity")
    kept: dict[Path, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for inner, digest in asset.files.items():
            member = tar.extractfile(f"package/{inner}")
            if member is None:
                sys.exit(f"{asset.package}: {inner} is not in the tarball")
            data = member.read()
            if sha256(data) != digest:
                sys.exit(f"{asset.package}: {inner} has sha256 {sha256(data)}, pinned {digest}")
            kept[asset.dest / Path(inner).name] = data
    asset.dest.mkdir(parents=True, exist_ok=True)
    for path, data in kept.items():
        path.write_bytes(data)
    print(f"{asset.package}@{asset.version} -> {asset.dest.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--use", choices=["shipped", "test"], help="only assets of this use")
    parser.add_argument("--check", action="store_true", help="check files, no network")
    args = parser.parse_args()
    assets = [a for a in load() if args.use in (None, a.use)]
    if args.check:
        found = [p for a in assets for p in problems(a)]
        print("\n".join(found) or "all vendored assets match their pins")
        sys.exit(1 if found else 0)
    for asset in assets:
        # With --use, only what is missing or changed is fetched (the install step's case).
        if args.use is None or problems(asset):
            fetch(asset)


if __name__ == "__main__":
    main()
