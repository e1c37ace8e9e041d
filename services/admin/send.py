"""`overpush admin send`: a test message through the same intake as POST /1/messages.json."""

from __future__ import annotations

from typing import Any

from overpush.ids import request_id
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.runtime import Runtime


async def send(rt: Runtime, token: str, user: str, message: str,
               options: dict[str, str | None]) -> dict[str, Any]:
    """Checked, counted and stored as an API request is. Committing is enough: the outbox
    relay of the running server (its sweep reads the shared database) announces it, so the
    message goes out as soon as a server runs, even one started later."""
    params = {**options, "token": token, "user": user, "message": message}
    draft = parse_message(params)
    rid = request_id()
    accepted = await accept(rt, draft, rid, source="admin")
    out: dict[str, Any] = {"status": 1, "request": rid, "messages": len(accepted.message_ids)}
    if accepted.receipt:
        out["receipt"] = accepted.receipt
    return out
