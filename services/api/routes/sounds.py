"""GET /1/sounds.json (built-in plus the application's custom sounds) and the sound files."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from overpush.apps import app_for_token
from overpush.errors import ApiError, E
from overpush.ids import row_id
from overpush.models import CustomSound
from overpush.sounds import AUDIO_TYPES, BUILTIN_SOUNDS
from sqlalchemy import select

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.get("/1/sounds.json")
async def sounds(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        custom = (await session.execute(
            select(CustomSound.name, CustomSound.description)
            .where(CustomSound.app_id == app.id).order_by(CustomSound.name)
        )).all()
    return ok(rid, sounds={**BUILTIN_SOUNDS, **{name: desc for name, desc in custom}})


@router.get("/sounds/{app_id}/{filename}")
async def sound_file(app_id: str, filename: str, rt: RuntimeDep) -> Response:
    """A custom sound, for devices to play: the message JSON carries `aid` and `sound`, so a
    device asks for /sounds/{aid}/{sound}.mp3 and gets the stored file with its real type."""
    name, app = filename.rsplit(".", 1)[0], row_id(app_id)
    if app is None:
        raise ApiError.of(E.SOUND_NOT_FOUND)
    async with rt.sessions() as session:
        row = (await session.execute(
            select(CustomSound.data, CustomSound.extension)
            .where(CustomSound.app_id == app, CustomSound.name == name)
        )).first()
    if row is None:
        raise ApiError.of(E.SOUND_NOT_FOUND)
    return Response(row.data, media_type=AUDIO_TYPES[row.extension],
                    headers={"X-Content-Type-Options": "nosniff",
                             "Cache-Control": "public, max-age=86400"})
