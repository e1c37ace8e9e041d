"""POST /1/dedup/{key}/resolve.json: close an incident opened with `dedup_key` (issue 17 §4)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import dedup
from overpush.apps import app_for_token
from overpush.errors import ApiError, E
from overpush.ids import is_key
from overpush.intake.accept import accept
from overpush.intake.validate import DEDUP_KEY, parse_message
from overpush.quota import allowance, limit_of

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()
_ANY_KEY = "u" * 30  # stands in for the recipients while the message alone is checked


@router.post(
    "/1/dedup/{key}/resolve.json",
    summary="Resolve a dedup key",
    description=(
        "Closes the open message sent with `dedup_key` = key by the application of `token` "
        "(for one `user` value, keys in any order, or every one when `user` is left out): "
        "later sends with the key alert again, pending emergency re-alerts stop and the "
        "receipt shows `resolved`. With `message` (and optional `title`), a message is sent "
        "to the same recipients through the usual intake (counted against the quota). "
        "Answers `resolved`, the number of open messages closed (0 when none was open)."
    ),
)
async def resolve(key: str, params: ParamsDep, rt: RuntimeDep,
                  rid: RequestIdDep) -> JSONResponse:
    if not DEDUP_KEY.match(key):
        raise ApiError.of(E.DEDUP_KEY_INVALID)
    raw = (params.get("user") or "").strip()
    users = tuple(dict.fromkeys(u.strip() for u in raw.split(",") if u.strip())) or None
    if users is not None and not all(is_key(u) for u in users):
        raise ApiError.of(E.USER_INVALID)
    message = params.get("message")
    title = params.get("title")
    if message is not None:  # checked before anything is resolved
        parse_message({"token": params.get("token"), "user": _ANY_KEY, "message": message,
                       "title": title})
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        closed = await dedup.resolve(session, app.id, key, users, now,
                                     lock=not rt.settings.is_sqlite)
        left = await allowance(session, app.id, limit_of(app, rt.settings.app_monthly_limit),
                               now)
    headers = left.headers()
    if message is not None:
        for incident in closed:
            draft = parse_message({"token": app.token, "user": incident.users,
                                   "message": message, "title": title})
            headers = (await accept(rt, draft, rid)).allowance.headers()
    return ok(rid, headers=headers, resolved=len(closed))
