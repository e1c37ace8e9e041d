"""Open Client API, Web Push: the server's public key, and a desktop's push subscription."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import platforms, webpush
from overpush.errors import ApiError, E

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.get(
    "/1/webpush/key.json",
    summary="The server's Web Push (VAPID) public key",
    description=(
        "The application server key a browser subscribes with: `public_key` is the base64url "
        "uncompressed P-256 point, for `pushManager.subscribe({userVisibleOnly: true, "
        "applicationServerKey})`. Every replica answers the same key. No authentication."
    ),
)
async def public_key(rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    return ok(rid, public_key=webpush.public_key(await webpush.private_pem(rt)))


@router.post(
    "/1/devices/{device_id}/webpush.json",
    summary="Store or remove a desktop device's Web Push subscription",
    description=(
        "Form fields `secret` (the Open Client session), `endpoint`, `p256dh` and `auth` "
        "(base64url, as `PushSubscription.toJSON()` gives them). The device (os `O`) then "
        "gets every message as an encrypted Web Push, also while no page of it is open. "
        "An empty `endpoint` removes the subscription. The endpoint must be an https URL "
        "whose host has public addresses only."
    ),
)
async def subscribe(device_id: str, params: ParamsDep, rt: RuntimeDep,
                    rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, device_id)
        if not platforms.has_subscriptions(device.os):
            raise ApiError.of(E.WEBPUSH_NOT_DESKTOP)
    endpoint = (params.get("endpoint") or "").strip()
    sub = None
    if endpoint:
        sub = webpush.check(endpoint, params.get("p256dh") or "", params.get("auth") or "")
        # Resolving the host may take seconds: outside any transaction.
        await webpush.vet(sub, rt.settings.callback_allow_private)
    async with rt.sessions() as session, session.begin():
        device = await device_of(session, user, device_id)
        await webpush.subscribe(session, device, sub)
    return ok(rid, webpush=int(sub is not None))
