"""Operator commands: let an application offer subscriptions, or be cloned."""

from __future__ import annotations

from typing import Any

from overpush.ids import random_key
from overpush.runtime import Runtime

from services.admin.lookup import app_by_token


async def offer_subscriptions(rt: Runtime, token: str) -> dict[str, Any]:
    """Give the application a subscription code (kept if it has one); prints its page."""
    async with rt.sessions() as session, session.begin():
        app = await app_by_token(session, token)
        app.subscription_code = app.subscription_code or random_key(20)
    return {"token": app.token, "subscription": app.subscription_code,
            "url": f"{rt.settings.base_url}/subscribe/{app.subscription_code}"}


async def make_cloneable(rt: Runtime, token: str) -> dict[str, Any]:
    """Give the application a clone link: visitors get their own copy with a fresh token."""
    async with rt.sessions() as session, session.begin():
        app = await app_by_token(session, token)
        app.clone_code = app.clone_code or random_key(20)
    return {"token": app.token, "url": f"{rt.settings.base_url}/apps/clone/{app.clone_code}"}
