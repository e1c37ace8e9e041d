"""POST /1/messages.json: the Message API (spec §1).

Two doors, one answer: the FastAPI route (multipart bodies with attachments, `.xml`, the API
reference) and `MessagesEndpoint`, a plain ASGI endpoint that the server routes every other
POST /1/messages.json to, ahead of the FastAPI stack (services/api/plain.py says why). Both
read parameters with services/api/params.py and answer with `answer` below.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush.apps import find_app
from overpush.attachments import read_attachment
from overpush.errors import ApiError, E
from overpush.ids import request_id
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.quota import allowance, limit_of
from overpush.runtime import Runtime

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.params import (
    JSON,
    MULTIPART,
    URLENCODED,
    Params,
    add_body,
    add_query,
    checked,
    media_type,
    too_large,
)
from services.api.plain import (
    Answers,
    ASGIApp,
    Disconnected,
    Receive,
    Scope,
    Send,
    header,
    read_body,
)
from services.api.responses import ok

router = APIRouter()
PATH = "/1/messages.json"


@router.post(PATH)
async def send_message(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    fields, headers = await answer(rt, params, rid)
    return ok(fields.pop("request"), headers=headers, **fields)


async def answer(rt: Runtime, params: Params, rid: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields and headers of the 200 answer; a refusal raises its ApiError, carrying
    where a known application stands (X-Limit-App-*)."""
    try:
        draft = parse_message(params)
        image = await read_attachment(params.files.get("attachment"),
                                      params.get("attachment_base64"))
        if image is not None:
            draft = replace(draft, attachment=image)
        accepted = await accept(rt, draft, rid)
    except ApiError as err:
        if not err.headers:  # a refused send still tells a known app where it stands
            err.headers = await _limit_headers(rt, params.get("token"))
        raise
    fields: dict[str, Any] = {"receipt": accepted.receipt} if accepted.receipt else {}
    if accepted.scheduled:
        fields["scheduled"] = accepted.scheduled
    if accepted.deduplicated:  # the open message's request; nothing was sent or counted
        fields["deduplicated"] = 1
        rid = accepted.request_id or rid
    return {**fields, "status": 1, "request": rid}, accepted.allowance.headers()


async def _limit_headers(rt: Runtime, token: str | None) -> dict[str, str]:
    async with rt.sessions() as session:
        app = await find_app(session, token)
        if app is None:
            return {}
        limit = limit_of(app, rt.settings.app_monthly_limit)
        return (await allowance(session, app.id, limit, rt.clock.now())).headers()


class MessagesEndpoint:
    """POST /1/messages.json with any body but multipart, as a plain ASGI endpoint."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.answers = Answers(rt.settings.hsts_max_age, rt.metrics)

    def route(self, app: ASGIApp) -> ASGIApp:
        """`app`, except that the sends this endpoint takes come straight here."""

        async def routed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST" \
                    and media_type(header(scope, b"content-type") or "") != MULTIPART:
                await self(scope, receive, send)
            else:
                await app(scope, receive, send)

        return routed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rid = request_id()
        try:
            params = await self._params(scope, receive)
            fields, headers = await answer(self.rt, params, rid)
        except Disconnected:
            return
        except Exception as exc:
            await self.answers.error(send, rid, exc)
            return
        await self.answers.json(send, 200, fields, headers)

    async def _params(self, scope: Scope, receive: Receive) -> Params:
        """As services.api.params.read_params reads them, for bodies other than multipart."""
        limit = self.rt.settings.max_request_bytes
        params = Params()
        add_query(params, scope["query_string"])
        if too_large(header(scope, b"content-length"), limit):
            raise ApiError.of(E.BODY_TOO_LARGE)
        ctype = media_type(header(scope, b"content-type") or "")
        if ctype in (JSON, URLENCODED):
            add_body(params, ctype, await read_body(receive, limit))
        return checked(params)
