"""GET /1/attachments/{umid}.{ext}?secret=...&device_id=...: the image, for the receiving
device only, while it still has that message queued (the message JSON carries this URL)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from overpush.errors import ApiError, E
from overpush.ids import row_id
from overpush.models import Attachment, Delivery, Message
from sqlalchemy import select

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RuntimeDep

router = APIRouter()


@router.get("/1/attachments/{name}")
async def download(name: str, params: ParamsDep, rt: RuntimeDep) -> Response:
    message_id = row_id(name.split(".", 1)[0])
    if message_id is None:
        raise ApiError.of(E.ATTACHMENT_NOT_FOUND)
    async with rt.sessions() as session:
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, params.get("device_id"))
        row = (await session.execute(
            select(Attachment.content_type, Attachment.data)
            .join(Message, Message.attachment_id == Attachment.id)
            .join(Delivery, Delivery.message_id == Message.id)
            .where(Message.id == message_id, Delivery.device_id == device.id)
        )).first()
    if row is None:
        raise ApiError.of(E.ATTACHMENT_NOT_FOUND)
    return Response(row.data, media_type=row.content_type, headers={
        "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })
