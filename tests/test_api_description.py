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
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
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


async def test_a_literal_path_allows_only_its_own_methods(http):
    """Issue 9 (ST205): /api/messages/{message_id} does not also match
    /api/messages/by-nonce, so its OPTIONS Allow lists only GET (and HEAD, OPTIONS)."""
    r = await http.options("/api/messages/by-nonce")
    assert set(r.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    r = await http.patch("/api/messages/by-nonce", json={"body": "x"})
    assert r.status_code == 405
    r = await http.options("/api/messages/msg_x")
    assert {"GET", "PATCH", "DELETE"} <= set(r.headers["Allow"].replace(" ", "").split(","))


async def test_description_declares_the_cross_field_rules(http):
    """Issue 9: rules across fields or parameters are in the description: exclusive query
    parameters (x-clickclack-exclusive-query), "at least one field" PATCH bodies (anyOf), the
    ephemeral target rules, the multipart upload body and the websocket handshake headers."""
    spec = (await http.get("/api/openapi.json")).json()
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    page = paths["/api/channels/{channel_id}/messages"]["get"]
    assert page["x-clickclack-exclusive-query"] == [
        ["before_seq", "after_seq", "around_seq", "mode"]]
    assert paths["/api/search"]["get"]["x-clickclack-exclusive-query"] == [
        ["channel_id", "direct_conversation_id"]]
    assert [b["required"] for b in schemas["UpdateWorkspace"]["anyOf"]] == [
        ["name"], ["slug"], ["icon_url"]]
    assert len(schemas["ModerationPatch"]["anyOf"]) == 6
    assert schemas["EphemeralIn"]["else"]["then"]["required"] == ["direct_conversation_id"]
    upload = paths["/api/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["required"] == ["file"]
    ws = {p["name"]: p for p in paths["/api/realtime/ws"]["get"]["parameters"]}
    assert ws["Upgrade"]["in"] == "header" and ws["Upgrade"]["required"]
    assert "101" in paths["/api/realtime/ws"]["get"]["responses"]


def test_the_emoji_pattern_is_exactly_the_stores_rule():
    """The control/format class in the description is the one clean_emoji applies."""
    import sys
    import unicodedata

    from clickclack.types.core import CONTROL_OR_FORMAT

    cls = re.compile(f"[{CONTROL_OR_FORMAT}]")
    assert not [hex(c) for c in range(sys.maxunicode + 1)
                if bool(cls.match(chr(c))) != (unicodedata.category(chr(c)) in ("Cc", "Cf")
                                               and c != 0x200D)]


def test_whitespace_class_is_pythons():
    """Patterns spell whitespace out (ECMA-262 and Python disagree on \\s); it must be exactly
    what str.strip() removes."""
    import sys

    from clickclack.types.core import WS

    cls = re.compile(WS)
    assert not [hex(c) for c in range(sys.maxunicode + 1)
                if bool(cls.match(chr(c))) != chr(c).isspace()]
