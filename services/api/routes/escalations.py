"""Escalation policies for emergencies (issue 17 §5): create, list and delete, by token. A
priority-2 message names one with `escalation=<id>` (intake); the level timer runs in the
receipts service. The rules live in overpush.escalations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import escalations
from overpush.apps import app_for_token
from overpush.quota import limit_headers

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.post(
    "/1/escalations.json", summary="Create an escalation policy",
    description='`token`, `name` and `levels`: a JSON list of {"user": KEY, "after": '
                "SECONDS} (a user or group key; level 0 has after 0, later levels "
                "increase, up to 10800). Answers the policy's id as `escalation`; send a "
                "priority-2 message with `escalation=<id>` and `user` set to level 0's key.")
async def create(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        name = escalations.parse_name(params.get("name"))
        levels = escalations.parse_levels(params.get("levels"))
        policy = await escalations.create(session, app, name, levels, rt.clock.now())
        headers = await limit_headers(session, app, rt.settings.app_monthly_limit,
                                      rt.clock.now())
    return ok(rid, headers=headers, escalation=policy.id)


@router.get(
    "/1/escalations.json", summary="List escalation policies",
    description="The application's policies with their levels.")
async def list_escalations(params: ParamsDep, rt: RuntimeDep,
                           rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        rows = await escalations.of_app(session, app.id)
        headers = await limit_headers(session, app, rt.settings.app_monthly_limit,
                                      rt.clock.now())
    return ok(rid, headers=headers, escalations=[escalations.view(p) for p in rows])


@router.post(
    "/1/escalations/{policy}/delete.json", summary="Delete an escalation policy",
    description="Deletes the policy; emergencies already sent with it keep their levels.")
async def delete(policy: str, params: ParamsDep, rt: RuntimeDep,
                 rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        await escalations.remove(session, app.id, escalations.parse_id(policy))
        headers = await limit_headers(session, app, rt.settings.app_monthly_limit,
                                      rt.clock.now())
    return ok(rid, headers=headers)
