"""The arrows allowed between the rooms, read from every import in the source (`ast`, local
imports inside functions included):

- a service imports the shared package, never another service (`services/__main__.py`,
  `runner.py` and `ops_server.py` are the command and the composition root, and may);
- `shared/` imports no service, no test code and no client;
- no service imports test code or a client (a future `clients/` folder);
- `bench/` never imports `tests/`; `testkit/` (what both use) imports neither.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"shared": ROOT / "shared", "services": ROOT / "services", "bench": ROOT / "bench",
           "testkit": ROOT / "testkit", "tests": ROOT / "tests", "clients": ROOT / "clients"}
COMPOSITION_ROOTS = {"services.__main__", "services.runner", "services.ops_server"}
KNOWN: dict[str, str] = {}  # services that still import another, with the reason


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.imported}"


def module_name(path: Path, top: Path) -> str:
    """`shared/overpush/db.py` is `overpush.db`; `services/api/__init__.py` is `services.api`."""
    parts = list(path.relative_to(top).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source: str, module: str, is_package: bool, where: str) -> Iterator[Import]:
    """Every module `source` imports: `import a.b`, `from a import b` (a and a.b),
    relative imports, and importlib.import_module / __import__ with a literal name."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ast.unparse(node.func) in {"importlib.import_module", "import_module",
                                             "__import__"}):
            names = [node.args[0].value]
        for name in names:
            yield Import(module, name, f"{where}:{getattr(node, 'lineno', 0)}")


@cache
def imports_of(folder: str) -> tuple[Import, ...]:
    top = FOLDERS[folder]
    if not top.exists():
        return ()
    base = top if folder == "shared" else ROOT
    found: list[Import] = []
    for path in sorted(top.rglob("*.py")):
        module = module_name(path, base)
        found += imports_in(path.read_text(), module, path.name == "__init__.py",
                            str(path.relative_to(ROOT)))
    return tuple(found)


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def service_of(module: str) -> str | None:
    """The service a module of services/ belongs to: its folder; a top-level module by its
    name up to the first "_". None for the package itself and the composition roots."""
    parts = module.split(".")
    if parts[0] != "services" or len(parts) < 2 or module in COMPOSITION_ROOTS:
        return None
    is_folder = (FOLDERS["services"] / parts[1]).is_dir()
    return parts[1] if is_folder else parts[1].split("_")[0]


def services() -> list[str]:
    return sorted({s for i in imports_of("services") if (s := service_of(i.importer))})


@pytest.mark.parametrize("service", [
    pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=KNOWN[s])) if s in KNOWN else s
    for s in services()
])
def test_a_service_imports_no_other_service(service: str) -> None:
    crossing = sorted({f"{i.where}: {i.importer} imports the {other} service"
                       for i in imports_of("services") if service_of(i.importer) == service
                       and (other := service_of(i.imported)) not in (None, service)})
    assert crossing == []


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("shared", ("services", "tests", "bench", "testkit", "clients")),
    ("services", ("tests", "bench", "testkit", "clients")),
    ("bench", ("tests",)),
    ("testkit", ("tests", "bench")),
])
def test_forbidden_arrows(folder: str, forbidden: tuple[str, ...]) -> None:
    wrong = [str(i) for i in imports_of(folder)
             if any(within(i.imported, f) for f in forbidden)]
    assert wrong == []


def test_the_rules_see_every_kind_of_import() -> None:
    """The scanner itself: local, relative, from-package and dynamic imports all count."""
    source = '''
import overpush.db
from services import admin
from . import handler
from ..api.routes import client as c

def later() -> None:
    from services.mailgw.aliases import create
    importlib.import_module("services.quota.service")
'''
    found = {i.imported for i in imports_in(source, "services.mailgw.sub.mod", False, "x.py")}
    assert {"overpush.db", "services.admin", "services.mailgw.sub.handler",
            "services.mailgw.api.routes.client", "services.mailgw.aliases.create",
            "services.quota.service"} <= found
    assert service_of("services.api.routes.client") == "api"
    assert service_of("services.runner") is None
    assert {"api", "dispatcher", "mailgw", "quota", "receipts"} <= set(services())
    assert len(imports_of("shared")) > 100 and len(imports_of("tests")) > 100
