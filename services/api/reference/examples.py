"""The document's examples: real requests and answers, recorded from the calls of
tests/services/test_openapi_calls.py into examples.json (keys, secrets and request ids replaced
by placeholders), never written by hand. `make api-examples` records them again."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

EXAMPLES_FILE = Path(__file__).with_name("examples.json")


@cache
def recorded() -> dict[str, Any]:
    """By "METHOD /path": {"path", "request", "answers": {status: {"content_type", "body"}}}."""
    if not EXAMPLES_FILE.exists():  # before the first recording
        return {}
    data: dict[str, Any] = json.loads(EXAMPLES_FILE.read_text())
    return data


def request_of(op: str) -> dict[str, Any]:
    entry = recorded().get(op)
    return dict(entry["request"]) if entry else {}


def answer_of(op: str, status: int) -> Any:
    """The recorded JSON body of this answer, or None."""
    entry = recorded().get(op)
    answer = entry["answers"].get(str(status)) if entry else None
    return answer["body"] if answer else None


def path_params_of(op: str) -> dict[str, str]:
    """The path parameters of the recorded call, by name."""
    entry = recorded().get(op)
    if not entry:
        return {}
    template = op.split(" ", 1)[1]
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    found = re.fullmatch(pattern, entry["path"])
    return found.groupdict() if found else {}
