"""FastAPI dependencies as Annotated aliases: the runtime, the request id, merged parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from overpush.client_address import client_address, trusted_networks
from overpush.ids import request_id as new_request_id
from overpush.runtime import Runtime

from services.api.params import Params, read_params


def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def client_of(request: Request) -> str:
    """The client's address: the peer, or what the operator's trusted proxies forwarded."""
    return client_address(request.client.host if request.client else None,
                          request.headers.getlist("x-forwarded-for"),
                          trusted_networks(get_runtime(request).settings.trusted_proxies))


def request_id_of(request: Request) -> str:
    """One id per request, made on first use, shared by the response and the logs."""
    rid: str | None = getattr(request.state, "request_id", None)
    if rid is None:
        rid = new_request_id()
        request.state.request_id = rid
    return rid


# FastAPI runs plain `def` dependencies in a worker thread; these are trivial, so they are
# `async def` and run on the event loop (a thread hop per dependency per request costs more
# than the work).
async def _runtime_dep(request: Request) -> Runtime:
    return get_runtime(request)


async def _request_id_dep(request: Request) -> str:
    return request_id_of(request)


async def get_params(request: Request) -> AsyncIterator[Params]:
    rt = get_runtime(request)
    params = await read_params(request, rt.settings.max_request_bytes)
    try:
        yield params
    finally:  # uploaded parts (attachments) spool to temporary files: close them
        for upload in params.files.values():
            await upload.close()


async def _client_dep(request: Request) -> str:
    return client_of(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime_dep)]
ClientDep = Annotated[str, Depends(_client_dep)]
RequestIdDep = Annotated[str, Depends(_request_id_dep)]
ParamsDep = Annotated[Params, Depends(get_params)]
