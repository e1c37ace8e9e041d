"""The Open Client API (spec §9): log in, register a device, download and delete messages."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from overpush import (
    aliases,
    delivery_status,
    device_identity,
    devices,
    licenses,
    platforms,
    receipts,
    throttle,
)
from overpush.attachments import attachment_url
from overpush.clock import unix
from overpush.credentials import authenticate
from overpush.delivery import queue
from overpush.devices import DEVICE_NAME, device_json
from overpush.errors import ApiError, E
from overpush.ids import client_secret, device_id, digest
from overpush.models import App, ClientSession, Delivery, Device, Message
from overpush.two_factor import second_factor
from overpush.user_settings import user_json
from overpush.users import email_key
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from services.api.auth import device_of, user_for_secret
from services.api.deps import ClientDep, ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()
HIGHEST = re.compile(r"^[0-9]{1,40}\Z")  # ASCII digits only: str.isdigit() also takes '٣'


@router.post("/1/users/login.json")
async def login(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep,
                client: ClientDep) -> JSONResponse:
    email, password = (params.get("email") or "").strip(), params.get("password") or ""
    # The same limits as the log-in page, by the same keys, checked before any hashing.
    limits = throttle.login_limits(rt, email_key(email), client)
    if await throttle.over(rt, limits):
        raise ApiError.of(E.LOGIN_THROTTLED)
    user = await authenticate(rt, email, password)
    if user is None:
        await throttle.count(rt, throttle.keys_of(limits))
        raise ApiError.of(E.LOGIN_INVALID)
    await throttle.clear(rt, throttle.keys_of(limits)[:1])
    if user.email_confirmed_at is None:  # no secret (no device) before the address is proven
        raise ApiError.of(E.EMAIL_UNCONFIRMED)
    if user.totp_enabled:
        code = (params.get("twofa") or "").strip()
        if not code:
            raise ApiError.of(E.TWOFA_REQUIRED)  # 412: ask the person for the code, then retry
        # Throttled per account and per client address (the API has no session yet).
        outcome = await second_factor(rt, user, code, f"client:{client}")
        if outcome == "throttled":
            raise ApiError.of(E.TWOFA_THROTTLED)
        if outcome == "wrong":
            raise ApiError.of(E.TWOFA_INVALID)
    secret = client_secret()
    async with rt.sessions() as session, session.begin():
        session.add(ClientSession(
            user_id=user.id, secret_digest=digest(secret), created_at=rt.clock.now()
        ))
    return ok(rid, id=user.user_key, secret=secret)


@router.post("/1/devices.json")
async def register_device(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    name, os = (params.get("name") or "").strip(), (params.get("os") or "").strip()
    push_token = (params.get("push_token") or "").strip()
    encrypted = (params.get("encrypted") or "").strip() in ("1", "true")
    identifier = (params.get("device_identifier") or "").strip()
    identifier = identifier[:device_identity.MAX_IDENTIFIER]
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        # This endpoint answers errors as an object of arrays (spec §9), unlike the others.
        problems: dict[str, list[str]] = {}
        if not DEVICE_NAME.match(name):
            problems["name"] = [E.DEVICE_NAME_INVALID.text]
        if os not in platforms.PLATFORMS:
            problems["os"] = [E.OS_INVALID.text]
        elif not platforms.token_ok(os, push_token):
            problems["push_token"] = [E.PUSH_TOKEN_INVALID.text]
        if problems:
            return JSONResponse({"errors": problems, "status": 0, "request": rid},
                                status_code=400)
        device, hashed = await device_identity.recognise(session, user, identifier, name) \
            if identifier else (None, None)
        device = device or await session.scalar(
            select(Device).where(Device.user_id == user.id, Device.name == name)
        )
        # The same hardware, re-installed, keeps its row whatever name it asks for.
        same = hashed is not None and device is not None and device.identifier_hash == hashed
        if device is not None and not same and not devices.may_take_over(device, os):
            return _name_taken(rid)  # desktops keep spec §9's duplicate-name error
        if device is None and await devices.count_of(session, user.id) \
                >= rt.settings.max_devices_per_user:
            return JSONResponse({"errors": {"name": [E.DEVICE_LIMIT.text]}, "status": 0,
                                 "request": rid}, status_code=400)
        if device is None:
            device = Device(public_id=device_id(), user_id=user.id, name=name, os=os,
                            enabled=True, created_at=rt.clock.now())
            session.add(device)
        if hashed is not None:
            device.identifier_hash = hashed
        key = devices.register(device, os, push_token or None, encrypted)
        try:
            await session.flush()
        except IntegrityError:  # a concurrent registration of the same name won
            return _name_taken(rid)
        await devices.release_token_elsewhere(session, device)
        # The secret is tied to the device it registered: receipts know who acknowledged,
        # log-out tells this device, and revoking the secret deletes it.
        await session.execute(update(ClientSession).where(
            ClientSession.secret_digest == digest(params.get("secret") or ""))
            .values(device_id=device.id))
        await licenses.start_trial(session, user.id, os, rt.clock.now())
    if key:  # the only time the key leaves the server
        return ok(rid, id=device.public_id, encryption_key=key)
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
        rows = await queue.waiting(session, device.id)
        expired = await queue.drop_expired(session, rows, now)
        licensed = await licenses.licensed(session, user.id, now, licenses.terms_of(rt.settings))
        emergency = await receipts.of_messages(
            session, [m.id for _, m, _, _ in rows if m.priority == 2])
        address = await aliases.default_address(session, rt, user.id)
        # Issue 17 §6: what the device downloads is "delivered" (one UPDATE per download).
        await delivery_status.downloaded(
            session, device.id, [m.id for d, m, _, _ in rows if d.id not in expired], now)
    base = str(request.base_url).rstrip("/")
    messages = [_message_json(d, m, a, ctype, base, emergency.get(m.id))
                for d, m, a, ctype in rows if d.id not in expired]
    return ok(rid, messages=messages, user=user_json(user, address, licensed),
              device=device_json(device, user))


def _message_json(d: Delivery, m: Message, a: App, ctype: str | None, base: str,
                  receipt: tuple[str, bool, datetime] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.id, "id_str": str(d.id), "umid": m.id, "umid_str": str(m.id),
        "message": m.body, "app": a.name, "aid": a.id, "aid_str": str(a.id),
        "icon": str(a.id), "date": unix(m.sent_at), "queued_date": unix(m.created_at),
        "dispatched_date": unix(m.dispatched_at or m.created_at), "priority": m.priority,
        "acked": 0, "html": int(m.html), "monospace": int(m.monospace),
    }
    if receipt is not None:
        out["receipt"], out["acked"] = receipt[0], int(receipt[1])
        out["receipt_expires_at"] = unix(receipt[2])  # /client: no Acknowledge after it
    if m.encrypted:  # the device opens title, message, url and url_title with its key
        out["encrypted"] = 1
    for key, value in (("title", m.title), ("sound", m.sound), ("url", m.url),
                       ("url_title", m.url_title)):
        if value:
            out[key] = value
    if ctype is not None:
        # Fetch it (with secret and device_id) before update_highest_message deletes it.
        out["attachment"] = attachment_url(base, m.id, ctype)
        out["attachment_type"] = ctype
    return out


@router.post("/1/devices/{device_id}/update_highest_message.json")
async def delete_up_to(device_id: str, params: ParamsDep, rt: RuntimeDep,
                       rid: RequestIdDep) -> JSONResponse:
    raw = (params.get("message") or "").strip()
    if not HIGHEST.match(raw):
        raise ApiError.of(E.HIGHEST_INVALID)
    # Ids are 64-bit: anything larger means "everything", and must not overflow the query.
    highest = min(int(raw), 2**63 - 1)
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, device_id)
        await queue.delete_up_to(session, device.id, highest)
    return ok(rid)
