"""The FastAPI application, built around a Runtime (no module-level app or clients)."""

from __future__ import annotations

from fastapi import FastAPI
from overpush.presence import Record
from overpush.runtime import Runtime

from services.api import responses
from services.api.body_limit import BodyLimit
from services.api.connections import Connections
from services.api.path_guard import PathGuard
from services.api.routes import (
    aliases,
    attachments,
    client,
    client_logout,
    dedup,
    escalations,
    glances,
    groups,
    heartbeats,
    licenses,
    limits,
    messages,
    ops,
    push,
    receipts,
    reference,
    requests,
    scheduled,
    settings,
    sounds,
    subscriptions,
    teams,
    validate,
    webpush,
)
from services.api.web import routes as web

# Every part of the application, each with its `router`, added the same way and in this order.
PARTS = (messages, client, client_logout, ops, receipts, settings, attachments, groups, sounds,
         validate, glances, limits, aliases, push, licenses, teams, subscriptions, webpush,
         dedup, scheduled, heartbeats, escalations, requests,  # sending beyond Pushover
         reference,  # /openapi.json and /docs
         web)


def create_app(rt: Runtime, connections: Connections | None = None,
               record: Record | None = None) -> FastAPI:
    """The application; `record` is the instance's presence record (ApiService makes one
    when the bus spans processes)."""
    app = FastAPI(title="Overpush", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = rt
    app.state.connections = Connections(rt.metrics) if connections is None else connections
    # /push is a plain ASGI endpoint; ApiService also routes it ahead of FastAPI (push.py).
    app.state.push = push.PushEndpoint(rt, app.state.connections, record)
    # Most POST /1/messages.json are served ahead of FastAPI too (routes/messages.py).
    app.state.messages = messages.MessagesEndpoint(rt)
    app.add_middleware(PathGuard)  # innermost: the other middleware still wrap its 404
    # One body limit for every route, pages included, counted while the body is read: a form
    # post to /login or /apps is refused (413) at the limit, never spooled to disk past it.
    app.add_middleware(BodyLimit, max_bytes=rt.settings.max_request_bytes)
    responses.install(app)
    web.install(app)  # the pages' error handlers and static files
    for part in PARTS:
        app.include_router(part.router)
    return app
