"""The yardstick for ingest: a bare FastAPI POST /1/messages.json that parses the same form
and answers the same JSON shape, served exactly as the api serves (same uvicorn Config, one
process, the event loop `overpush run` uses: overpush.eventloop). Run: python -m bench.bare PORT"""

from __future__ import annotations

import sys
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from overpush import eventloop

from services.api.service import Server, server_config


def create_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/1/messages.json")
    async def send(request: Request) -> JSONResponse:
        form = await request.form()
        status = 1 if form.get("token") and form.get("user") and form.get("message") else 0
        return JSONResponse({"status": status, "request": str(uuid.uuid4())})

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": 1})

    return app


async def serve(port: int) -> None:
    # SIGTERM keeps its default action (exit), as nothing here needs a clean stop.
    await Server(server_config(create_app(), "127.0.0.1", port)).serve()


if __name__ == "__main__":
    eventloop.run(serve(int(sys.argv[1])))
