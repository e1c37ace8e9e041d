"""deploy/Dockerfile, read statically (no Docker engine here): stages, user, command."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|build-essential|make|clang|cc|python3?-dev|libpq-dev)\b")


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Instructions (continuation lines joined, comments dropped) grouped by FROM."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    ))
    for line in joined.splitlines():
        if not line.strip():
            continue
        op, _, rest = line.strip().partition(" ")
        op, rest = op.upper(), rest.strip()
        if op == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), parts[0])
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(base, name))
        elif not stages:
            if op == "ARG" and "=" in rest:
                key, _, value = rest.partition("=")
                args[key] = value
        else:
            stages[-1].instructions.append((op, rest))
    return args, stages


def ops(stage: Stage, op: str) -> list[str]:
    return [rest for o, rest in stage.instructions if o == op]


def test_it_is_multi_stage_on_python_311_slim() -> None:
    _, stages = parse(DOCKERFILE.read_text())
    assert len(stages) >= 2
    assert all(s.base == "python:3.11-slim" for s in stages), [s.base for s in stages]
    final = stages[-1]
    copies = ops(final, "COPY")
    assert any(c.startswith(f"--from={stages[0].name} ") for c in copies), copies


def test_the_final_stage_has_no_build_tools() -> None:
    _, stages = parse(DOCKERFILE.read_text())
    final = stages[-1]
    for op, rest in final.instructions:
        if op == "RUN":
            assert not BUILD_TOOLS.search(rest), f"build tool in the final stage: {rest}"
            assert "apt-get install" not in rest and "pip install" not in rest, rest


def test_the_final_stage_runs_as_a_numeric_non_root_user() -> None:
    _, stages = parse(DOCKERFILE.read_text())
    users = ops(stages[-1], "USER")
    assert users, "no USER in the final stage: it would run as root"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0, f"USER {users[-1]}: numeric and not 0, so " \
        "Kubernetes' runAsNonRoot can verify it"


def test_the_command_is_overpush_run() -> None:
    _, stages = parse(DOCKERFILE.read_text())
    final = stages[-1]
    assert [json.loads(e) for e in ops(final, "ENTRYPOINT")][-1] == ["overpush"]
    assert [json.loads(c) for c in ops(final, "CMD")][-1] == ["run"]


def test_the_build_context_is_limited_by_dockerignore() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignore  # everything out, then the few things the build copies back in
    for needed in ("!pyproject.toml", "!shared/", "!services/"):
        assert needed in ignore
    _, stages = parse(DOCKERFILE.read_text())
    copied = [c.split()[0] for c in ops(stages[0], "COPY")]
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_the_parser_sees_a_bad_dockerfile() -> None:
    # The checks above are only worth something if the parser reads what they look for.
    bad = 'FROM python:3.11-slim\nRUN apt-get install -y \\\n    gcc\nCMD ["overpush"]\n'
    _, stages = parse(bad)
    assert len(stages) == 1 and ops(stages[0], "USER") == []
    assert BUILD_TOOLS.search(ops(stages[0], "RUN")[0])
