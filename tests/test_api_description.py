"""The OpenAPI description is generated from the handlers, covers every route, validates, and
Swagger UI is served from local files."""

import re

from openapi_spec_validator import validate

from clickclack.api.routing import ROUTES
from clickclack.app import create_app


async def test_openapi_is_valid_and_every_ref_resolves(http):
    spec = (await http.get("/api/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', (await http.get(
        "/api/openapi.json")).text))
    assert refs and refs <= set(spec["components"]["schemas"])


async def test_every_served_route_is_described(server, http):
    spec = (await http.get("/api/openapi.json")).json()
    described = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    # Build an app on the same config and list what Quart would actually route.
    from clickclack.services import open_services

    async with open_services(server.config.replace(data=server.config.data + "-2")) as services:
        app = create_app(services)
        served = set()
        for rule in app.url_map.iter_rules():
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            if path.startswith("/api/docs") or path in (
                "/api/openapi.json", "/", "/static/{filename}", "/{path}"):
                continue  # the description and its viewer document the API, not themselves;
                # "/" and "/{path}" serve the web app (clickclack/spa.py), not the API
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add((method, path))
    assert served <= described, served - described


def test_every_route_declares_auth_scope_and_a_tag():
    """Access control cannot be forgotten: each route says who may call it, and routes open to
    bots name the scope a bot token needs (the decorator refuses anything else)."""
    for spec in ROUTES:
        assert spec.auth in ("public", "user", "human"), spec.path
        if spec.auth == "user":
            assert spec.scope, spec.path
        assert spec.tags, spec.path
        assert spec.summary, spec.path


def test_a_route_without_a_scope_is_refused_at_import():
    import pytest

    from clickclack.api.routing import route

    with pytest.raises(ValueError, match="scope"):
        route("GET", "/api/x", summary="x", auth="user", response=None)


async def test_swagger_ui_is_served_from_local_files(http):
    page = await http.get("/api/docs")
    assert page.status_code == 200
    assert "https://" not in page.text  # no CDN
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        r = await http.get(src)
        assert r.status_code == 200, src
        assert len(r.content) > 50


async def test_ops_endpoints(http):
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/readyz")).json() == {"status": "ready"}
    assert (await http.get("/metrics")).status_code == 404  # opt-in
