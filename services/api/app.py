"""The FastAPI application, built around a Runtime (no module-level app or clients)."""

from __future__ import annotations

from fastapi import FastAPI
from overpush.runtime import Runtime
from starlette.routing import WebSocketRoute

from services.api import responses
from services.api.connections import Connections
from services.api.routes import (
    attachments,
    client,
    client_logout,
    glances,
    groups,
    limits,
    messages,
    ops,
    push,
    receipts,
    settings,
    sounds,
    validate,
)
from services.api.routes import licenses as licensing_routes
from services.api.routes import subscriptions as subscription_routes
from services.api.routes import teams as teams_routes
from services.api.routes.aliases import router as aliases_router
from services.api.web import routes as web


def create_app(rt: Runtime, connections: Connections | None = None) -> FastAPI:
    app = FastAPI(title="Overpush", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = rt
    app.state.connections = Connections(rt.metrics) if connections is None else connections
    responses.install(app)
    for module in (messages, client, ops, receipts, settings, attachments, groups, sounds,
                   validate, glances, limits):
        app.include_router(module.router)
    app.include_router(aliases_router)  # e-mail gateway addresses
    app.include_router(client_logout.router)  # Open Client log-out and device deletion
    # /push is a plain ASGI endpoint; ApiService also routes it ahead of FastAPI (see push.py).
    app.state.push = push.PushEndpoint(rt, app.state.connections)
    app.router.routes.append(WebSocketRoute(push.PATH, app.state.push))
    app.include_router(licensing_routes.router)  # licences, teams, subscriptions
    app.include_router(teams_routes.router)
    app.include_router(subscription_routes.router)
    web.install(app)
    return app
