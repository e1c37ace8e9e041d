"""The Open Client API (spec §9): log in, register a device, download and delete messages."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from overpush.clock import unix
from overpush.errors import ApiError, E
from overpush.ids import client_secret, device_id, digest
from overpush.models import App, Attachment, ClientSession, Delivery, Device, Message, User
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok
from services.api.routes.attachments import attachment_url

router = APIRouter()
DEVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,25}$")


@router.post("/1/users/login.json")
async def login(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    email, password = (params.get("email") or "").strip(), params.get("password") or ""
    async with rt.sessions() as session:
        user = await session.scalar(select(User).where(User.email == email))
    # Verify against a real hash even for unknown addresses, so timing tells nothing.
    stored = user.password_hash if user else _dummy_hash(rt)
    if not await rt.passwords.verify(stored, password) or user is None:
        raise ApiError.of(E.LOGIN_INVALID)
    secret = client_secret()
    async with rt.sessions() as session, session.begin():
        session.add(ClientSession(
            user_id=user.id, secret_digest=digest(secret), created_at=rt.clock.now()
        ))
    return ok(rid, id=user.user_key, secret=secret)


def _dummy_hash(rt: Any) -> str:
    cached: str | None = getattr(rt, "_dummy_hash", None)
    if cached is None:
        cached = rt.passwords.hash_sync("not a password")
        rt._dummy_hash = cached
    return cached


@router.post("/1/devices.json")
async def register_device(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    name, os = (params.get("name") or "").strip(), (params.get("os") or "").strip()
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        # This endpoint answers errors as an object of arrays (spec §9), unlike the others.
        problems: dict[str, list[str]] = {}
        if not DEVICE_NAME.match(name):
            problems["name"] = [E.DEVICE_NAME_INVALID.text]
        if os != "O":
            problems["os"] = [E.OS_INVALID.text]
        if problems:
            return JSONResponse({"errors": problems, "status": 0, "request": rid},
                                status_code=400)
        taken = await session.scalar(
            select(exists().where(Device.user_id == user.id, Device.name == name))
        )
        if taken:
            return _name_taken(rid)
        device = Device(public_id=device_id(), user_id=user.id, name=name, os=os,
                        enabled=True, created_at=rt.clock.now())
        session.add(device)
        try:
            await session.flush()
        except IntegrityError:  # a concurrent registration of the same name won
            return _name_taken(rid)
    return ok(rid, id=device.public_id)


def _name_taken(rid: str) -> JSONResponse:
    return JSONResponse(
        {"errors": {"name": [E.DEVICE_NAME_TAKEN.text]}, "status": 0, "request": rid},
        status_code=400,
    )


@router.get("/1/messages.json")
async def download(request: Request, params: ParamsDep, rt: RuntimeDep,
                   rid: RequestIdDep) -> JSONResponse:
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, params.get("device_id"))
        device.last_seen_at = now
        rows = (await session.execute(
            select(Delivery, Message, App, Attachment.content_type)
            .join(Message, Message.id == Delivery.message_id)
            .join(App, App.id == Message.app_id)
            .outerjoin(Attachment, Attachment.id == Message.attachment_id)
            .where(Delivery.device_id == device.id)
            .order_by(Delivery.id)
        )).all()
        expired = {d.id: m.id for d, m, _, _ in rows
                   if m.expires_at is not None and m.expires_at <= now}
        if expired:  # an expired message is never shown; it goes as soon as it is seen
            await session.execute(delete(Delivery).where(Delivery.id.in_(expired)))
            await purge_messages(session, list(expired.values()))
    base = str(request.base_url).rstrip("/")
    messages = [_message_json(d, m, a, ctype, base) for d, m, a, ctype in rows
                if d.id not in expired]
    return ok(rid, messages=messages, user=_user_json(user), device=_device_json(device))


def _message_json(d: Delivery, m: Message, a: App, ctype: str | None,
                  base: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.id, "id_str": str(d.id), "umid": m.id, "umid_str": str(m.id),
        "message": m.body, "app": a.name, "aid": a.id, "aid_str": str(a.id),
        "icon": str(a.id), "date": unix(m.sent_at), "queued_date": unix(m.created_at),
        "dispatched_date": unix(m.dispatched_at or m.created_at), "priority": m.priority,
        "acked": 0, "html": int(m.html), "monospace": int(m.monospace),
    }
    for key, value in (("title", m.title), ("sound", m.sound), ("url", m.url),
                       ("url_title", m.url_title)):
        if value:
            out[key] = value
    if ctype is not None:
        # Fetch it (with secret and device_id) before update_highest_message deletes it.
        out["attachment"] = attachment_url(base, m.id, ctype)
        out["attachment_type"] = ctype
    return out


def _user_json(u: User) -> dict[str, Any]:
    return {
        "email": u.email, "created_at": unix(u.created_at), "quiet_hours": False,
        "is_android_licensed": True, "is_ios_licensed": True, "is_desktop_licensed": True,
        "first_email_alias": "", "quick_quiet_until": 0, "show_team_ad": 0, "show_tipjar": 0,
    }


def _device_json(d: Device) -> dict[str, Any]:
    return {
        "name": d.name, "encryption_enabled": False, "default_sound": "pushover",
        "always_use_default_sound": False, "default_high_priority_sound": "pushover",
        "always_use_default_high_priority_sound": False, "dismissal_sync_enabled": False,
    }


@router.post("/1/devices/{device_id}/update_highest_message.json")
async def delete_up_to(device_id: str, params: ParamsDep, rt: RuntimeDep,
                       rid: RequestIdDep) -> JSONResponse:
    raw = (params.get("message") or "").strip()
    if not raw.isdigit():
        raise ApiError.of(E.HIGHEST_INVALID)
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, device_id)
        gone = list((await session.scalars(
            delete(Delivery).where(Delivery.device_id == device.id, Delivery.id <= int(raw))
            .returning(Delivery.message_id)
        )).all())
        if gone:
            await purge_messages(session, gone)
    return ok(rid)


async def purge_messages(session: AsyncSession, message_ids: list[int]) -> None:
    """A message no device still waits for is deleted, and with it an attachment no message
    still points at: nothing stays on the server."""
    attachment_ids = {a for a in (await session.scalars(
        delete(Message).where(
            Message.id.in_(message_ids), Message.dispatched_at.is_not(None),
            ~exists().where(Delivery.message_id == Message.id),
        ).returning(Message.attachment_id)
    )).all() if a is not None}
    if attachment_ids:
        await session.execute(delete(Attachment).where(
            Attachment.id.in_(attachment_ids),
            ~exists().where(Message.attachment_id == Attachment.id),
        ))
