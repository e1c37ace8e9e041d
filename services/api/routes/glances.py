"""Glances (spec §7): senders POST small widget fields; devices fetch their latest glance.

POST /1/glances.json stores the fields per user and device ("" = all devices) and nudges the
devices with '!' like a message; a device then fetches GET /1/glances.json?secret&device_id
(its own entry if one was sent to it by name, else the user's) alongside its messages.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from overpush import glances, presence
from overpush.apps import app_for_token
from overpush.clock import unix
from overpush.errors import ApiError, E, FieldError
from overpush.intake.recipients import resolve
from overpush.ratelimit import RateLimiter
from overpush.runtime import Runtime

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.params import Params
from services.api.responses import ok

router = APIRouter()
TEXT_FIELDS = ("title", "text", "subtext")
TEXT_MAX = 100


def parse_fields(params: Params) -> dict[str, Any]:
    """The glance fields present in the request; an empty value clears that field."""
    fields: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in TEXT_FIELDS:
        if name in params:
            value = (params.get(name) or "").strip() or None
            if value is not None and len(value) > TEXT_MAX:
                # The per-field key names the field that is too long.
                errors.append(FieldError(replace(E.GLANCE_FIELD_TOO_LONG, field=name),
                                         f"{name} is too long; the limit is {TEXT_MAX}"))
            fields[name] = value
    for name, spec, low, high in (("count", E.COUNT_INVALID, -(2**31), 2**31 - 1),
                                  ("percent", E.PERCENT_INVALID, 0, 100)):
        if name in params:
            raw = (params.get(name) or "").strip()
            try:
                number = int(raw) if raw else None
                if number is not None and not low <= number <= high:
                    raise ValueError(number)
                fields[name] = number
            except ValueError:
                errors.append(FieldError(spec))
    if not fields and not errors:
        errors.append(FieldError(E.GLANCE_EMPTY))
    if errors:
        raise ApiError(errors)
    return fields


def _limiter(request: Request, rt: Runtime) -> RateLimiter:
    """This api process's glance buckets, one per application."""
    limiter: RateLimiter | None = getattr(request.app.state, "glance_limiter", None)
    if limiter is None:
        limiter = RateLimiter(rt.settings.glance_rate_per_minute, rt.settings.glance_rate_burst)
        request.app.state.glance_limiter = limiter
    return limiter


@router.post("/1/glances.json")
async def update_glance(request: Request, params: ParamsDep, rt: RuntimeDep,
                        rid: RequestIdDep) -> JSONResponse:
    key = (params.get("user") or "").strip()
    device = (params.get("device") or "").strip()
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        # A glance costs the sender nothing (no quota) but nudges every device it reaches:
        # limited per application, before any work.
        if not _limiter(request, rt).allow(str(app.id), rt.clock.now().timestamp()):
            wait = math.ceil(60 / max(rt.settings.glance_rate_per_minute, 0.001))
            raise ApiError([FieldError(E.GLANCES_THROTTLED)], headers={"Retry-After": str(wait)})
        fields = parse_fields(params)
        recipients = await resolve(session, [key], [device] if device else [])
        now = rt.clock.now()
        targets: list[str] = []
        for r in recipients:
            name = r.devices if r.devices and "," not in r.devices else ""
            targets += await glances.store(session, r.user_id, name, fields, now)
    # After commit: a nudge is a signal; a device that misses it fetches on reconnect.
    await presence.nudge(rt, targets)
    return ok(rid)


@router.get("/1/glances.json")
async def fetch_glance(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, params.get("device_id"))
        glance = await glances.shown_on(session, user.id, device.name)
    if glance is None:
        return ok(rid, glance=None)
    return ok(rid, glance={
        "title": glance.title, "text": glance.text, "subtext": glance.subtext,
        "count": glance.count, "percent": glance.percent, "updated_at": unix(glance.updated_at),
    })
