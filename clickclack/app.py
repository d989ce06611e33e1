"""``create_app(services)``: the QuartTrio application.  No I/O and no globals: everything hangs
off the ``services`` passed in, so every test gets its own isolated app."""

from __future__ import annotations

from pathlib import Path

from quart import Response
from quart_trio import QuartTrio

# Importing a route module registers its routes in the route table.
from clickclack.api import (  # noqa: F401
    accounts,
    bots,
    invites,
    messages,
    moderation,
    openapi,
    ops,
    problems,
    realtime,
    workspaces,
)
from clickclack.api.http import Metrics, install_hooks, register_routes
from clickclack.services import Services

SPA_DIR = Path(__file__).resolve().parents[1] / "spa"


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

    placeholder = SPA_DIR / "index.html"

    @app.get("/")
    async def index() -> Response:
        # The web app arrives with its own issue; until then a static page says what is here.
        if placeholder.is_file():
            resp = Response(placeholder.read_bytes(), content_type="text/html; charset=utf-8")
        else:
            resp = Response("ClickClack API: see /api/docs\n", content_type="text/plain")
        resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return resp

    return app
