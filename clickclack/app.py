"""``create_app(services)``: the QuartTrio application.  No I/O and no globals: everything hangs
off the ``services`` passed in, so every test gets its own isolated app."""

from __future__ import annotations

from quart_trio import QuartTrio

from clickclack import spa

# Importing a route module registers its routes in the route table.
from clickclack.api import (  # noqa: F401
    accounts,
    bots,
    conversations,
    invites,
    messages,
    moderation,
    openapi,
    ops,
    problems,
    realtime,
    search,
    uploads,
    workspaces,
)
from clickclack.api.http import Metrics, install_hooks, register_routes
from clickclack.services import Services


def create_app(services: Services) -> QuartTrio:
    config = services.config
    app = QuartTrio("clickclack")
    app.config.update(
        MAX_CONTENT_LENGTH=config.max_json_bytes,
        BODY_TIMEOUT=config.body_timeout_s,
        RESPONSE_TIMEOUT=None,  # websockets and long responses bound themselves
        PROVIDE_AUTOMATIC_OPTIONS=True,
    )
    metrics = Metrics()
    app.extensions["clickclack_metrics"] = metrics
    problems.install(app)
    install_hooks(app, services, metrics)
    register_routes(app, services)
    realtime.install_websocket(app, services)
    openapi.install(app, config)

    spa.install(app)  # last: the web app's index.html fallback never shadows an API route

    return app
