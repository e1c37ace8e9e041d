"""Builders for test data, through the same code the `overpush admin` command uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from overpush.runtime import Runtime

from services.admin import accounts as admin

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    email: str
    user_key: str
    password: str = PASSWORD


async def make_user(rt: Runtime, email: str | None = None) -> Account:
    email = email or f"user{next(_seq)}@example.com"
    out = await admin.create_user(rt, email, PASSWORD)
    return Account(out["email"], out["user_key"])


async def make_app(rt: Runtime, owner: Account, name: str = "Test app") -> str:
    out = await admin.create_app(rt, owner.email, name)
    token: str = out["token"]
    return token
