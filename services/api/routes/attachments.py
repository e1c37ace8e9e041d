"""Attachments: read from a message request, and downloaded by the receiving device only.

Download: GET /1/attachments/{umid}.{ext}?secret=...&device_id=... answers the image while the
device still has that message queued; the message JSON carries this URL as `attachment`.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response
from overpush.attachments import EXTENSIONS, MAX_BYTES, CheckedImage, check_image, decode_base64
from overpush.errors import ApiError, E
from overpush.models import Attachment, Delivery, Message
from sqlalchemy import select

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RuntimeDep
from services.api.params import Params

router = APIRouter()


def attachment_url(base: str, message_id: int, content_type: str) -> str:
    return f"{base}/1/attachments/{message_id}.{EXTENSIONS.get(content_type, 'bin')}"


async def attachment_of(params: Params) -> CheckedImage | None:
    """The request's image, from a multipart `attachment` part or from `attachment_base64`
    (its `attachment_type` is only a hint: the type is sniffed from the bytes)."""
    upload = params.files.get("attachment")
    if upload is not None:
        data = await upload.read(MAX_BYTES + 1)
    elif params.get("attachment_base64"):
        data = decode_base64(params.get("attachment_base64") or "")
    else:
        return None
    if len(data) > MAX_BYTES:
        raise ApiError.of(E.ATTACHMENT_TOO_LARGE)
    # Decoding an image is CPU work: keep it off the event loop.
    return await asyncio.to_thread(check_image, data)


@router.get("/1/attachments/{name}")
async def download(name: str, params: ParamsDep, rt: RuntimeDep) -> Response:
    stem = name.split(".", 1)[0]
    if not stem.isdigit():
        raise ApiError.of(E.ATTACHMENT_NOT_FOUND)
    async with rt.sessions() as session:
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, params.get("device_id"))
        row = (await session.execute(
            select(Attachment.content_type, Attachment.data)
            .join(Message, Message.attachment_id == Attachment.id)
            .join(Delivery, Delivery.message_id == Message.id)
            .where(Message.id == int(stem), Delivery.device_id == device.id)
        )).first()
    if row is None:
        raise ApiError.of(E.ATTACHMENT_NOT_FOUND)
    return Response(row.data, media_type=row.content_type, headers={
        "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })
