"""Which of a user's devices get a message: a pure decision over values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    id: int
    public_id: str
    name: str
    os: str


def plan(requested: str | None, devices: Sequence[Target]) -> list[Target]:
    """The devices named in `requested` (comma-separated) that exist; all of them when none
    of the names match (spec §1: an unknown or disabled device name is not an error, the
    message goes to every active device; `ALL_DEVICES` from apprise lands here too)."""
    names = {n.strip() for n in (requested or "").split(",") if n.strip()}
    chosen = [d for d in devices if d.name in names]
    return chosen or list(devices)
