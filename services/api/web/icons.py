"""GET /icons/{id}.png: an application's icon, or its placeholder."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from overpush.icons import placeholder
from overpush.ids import row_id
from overpush.models import AppIcon

from services.api.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/icons/{icon}.png")
async def icon(icon: str, rt: RuntimeDep) -> Response:
    number = row_id(icon)
    if number is None:
        return Response(status_code=404)
    async with rt.sessions() as session:
        row = await session.get(AppIcon, number)
    png = row.png if row is not None else placeholder(number)
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "public, max-age=3600"})
