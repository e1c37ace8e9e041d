"""Receipts (spec §4): poll, cancel, cancel by tag (senders), and acknowledge (devices, §9)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import devices, outbox, receipts, scheduled
from overpush.apps import app_for_token
from overpush.errors import ApiError, E
from overpush.events import ReceiptAcknowledged
from overpush.ids import is_key
from overpush.models import App, Receipt
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.auth import user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


async def _receipt_of_app(session: AsyncSession, app: App, receipt: str) -> Receipt:
    row = await receipts.of_app(session, app.id, receipt)
    if row is None:
        raise ApiError.of(E.RECEIPT_NOT_FOUND)
    return row


@router.get("/1/receipts/{receipt}.json")
async def poll(receipt: str, params: ParamsDep, rt: RuntimeDep,
               rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        try:
            row = await _receipt_of_app(session, app, receipt)
        except ApiError:  # a scheduled emergency's receipt, answered before it goes out
            waiting = await scheduled.receipt_view(session, app.id, receipt) if is_key(
                receipt) else None
            if waiting is None:
                raise
            return ok(rid, **waiting)
    return ok(rid, **receipts.view(row, rt.clock.now()))


@router.post("/1/receipts/cancel_by_tag/{tag}.json")
async def cancel_by_tag(tag: str, params: ParamsDep, rt: RuntimeDep,
                        rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        count = await receipts.cancel(session, receipts.tagged(app.id, tag.strip()),
                                      rt.clock.now())
    return ok(rid, canceled=count)


@router.post("/1/receipts/{receipt}/cancel.json")
async def cancel(receipt: str, params: ParamsDep, rt: RuntimeDep,
                 rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        row = await _receipt_of_app(session, app, receipt)
        # Cancelling a receipt that already stopped changes nothing and is not an error.
        await receipts.cancel(session, Receipt.id == row.id, rt.clock.now())
    return ok(rid)


@router.post("/1/receipts/{receipt}/acknowledge.json")
async def acknowledge(receipt: str, params: ParamsDep, rt: RuntimeDep,
                      rid: RequestIdDep) -> JSONResponse:
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        row = await receipts.of_recipient(session, user.id, receipt)
        if row is None:  # only a recipient may acknowledge
            raise ApiError.of(E.RECEIPT_NOT_FOUND)
        device = await devices.acknowledging_name(session, user.id, params.get("device_id"),
                                                  params.get("secret") or "")
        if await receipts.acknowledge(session, row, user.user_key, device, now):
            outbox.add(session, rt, ReceiptAcknowledged(receipt_id=row.id))
    rt.outbox_wakeup.set()
    return ok(rid)
