"""Heartbeat monitors (issue 17 §3): create, list, delete (senders, by token) and ping (jobs,
by the heartbeat's key alone, so cron can use plain curl). The rules live in
overpush.heartbeats; the missed-heartbeat timer runs in the receipts service."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import heartbeats
from overpush.apps import app_for_token
from overpush.quota import limit_headers

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.post(
    "/1/heartbeats.json", summary="Create a heartbeat monitor",
    description="A dead-man's switch: `token`, `user` (a user or group key), `name`, "
                "`period` and `grace` in seconds, and the alert's optional `message`, "
                "`priority` (2 with `retry` and `expire`) and `sound`. Answers the "
                "heartbeat key and its ping URL. No ping within period + grace sends the "
                "alert once; the next ping sends a \"recovered\" message.")
async def create(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    spec = heartbeats.parse(params)
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        hb = await heartbeats.create(session, app, spec, rt.clock.now())
        headers = await limit_headers(session, app, rt.settings.app_monthly_limit,
                                      rt.clock.now())
    return ok(rid, headers=headers, heartbeat=hb.key,
              ping_url=heartbeats.ping_url(rt.settings.base_url, hb.key))


@router.get(
    "/1/heartbeats.json", summary="List heartbeat monitors",
    description="The application's heartbeats with their state (`new`, `up` or `down`), "
                "last ping, next deadline and ping URL.")
async def list_heartbeats(params: ParamsDep, rt: RuntimeDep,
                          rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        rows = await heartbeats.of_app(session, app.id)
        headers = await limit_headers(session, app, rt.settings.app_monthly_limit,
                                      rt.clock.now())
    return ok(rid, headers=headers,
              heartbeats=[heartbeats.view(hb, rt.settings.base_url) for hb in rows])


@router.api_route(
    "/1/heartbeats/{key}/ping.json", methods=["GET", "POST"], summary="Ping a heartbeat",
    description="Resets the heartbeat's timer; the key is the credential. Pings within a "
                "second of the last stored one are answered (`stored`: 0) but not stored. "
                "The first ping after a missed deadline sends the \"recovered\" message.")
async def ping(key: str, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        hb, stored = await heartbeats.ping(session, rt, key, rt.clock.now())
        state = hb.state
    if stored:
        rt.outbox_wakeup.set()
    return ok(rid, state=state, stored=int(stored))


@router.post(
    "/1/heartbeats/{key}/delete.json", summary="Delete a heartbeat monitor",
    description="Deletes the heartbeat; `token` must be the application that created it.")
async def delete(key: str, params: ParamsDep, rt: RuntimeDep,
                 rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        await heartbeats.remove(session, key, app.id)
        headers = await limit_headers(session, app, rt.settings.app_monthly_limit,
                                      rt.clock.now())
    return ok(rid, headers=headers)
