"""OpenAPI 3.1, generated from the route table and the wire types (msgspec), plus Swagger UI
served from the ``swagger-ui-bundle-v2`` package's files (no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from quart import Quart, Response, send_from_directory

from clickclack import __version__
from clickclack.api.routing import ROUTES, RouteSpec
from clickclack.config import Config
from clickclack.types import Problem
from clickclack.types.core import AT_LEAST_ONE_OF

_REF = "#/components/schemas/{name}"
_STATUS_TEXT = {
    101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    400: "Bad request or validation failed", 401: "Authentication required or invalid",
    403: "Forbidden", 404: "Not found (or not visible to the caller)",
    405: "Method not allowed", 409: "Conflict", 413: "Payload too large",
    415: "Unsupported media type", 429: "Rate limited", 501: "Not implemented",
    503: "Unavailable", 507: "Insufficient storage",
}


def _types(routes: list[RouteSpec]) -> list[Any]:
    seen: list[Any] = [Problem]
    for r in routes:
        for t in (r.body, r.response, *r.extra_responses.values()):
            if t is not None and t not in seen:
                seen.append(t)
    return seen


def _merge_extra(schema: dict[str, Any], extra: dict[str, Any]) -> None:
    extra = dict(extra)
    names = extra.pop(AT_LEAST_ONE_OF, None)
    if names:
        branches = []
        for name in names:
            prop = schema["properties"][name]
            kinds = [b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"]
            branches.append({"required": [name], "properties": {
                name: kinds[0] if len(kinds) == 1 else {"anyOf": kinds}}})
        schema["anyOf"] = branches
    schema.update(extra)


def build_openapi(config: Config) -> dict[str, Any]:
    routes = [r for r in ROUTES if r.enabled is None or r.enabled(config)]
    types = _types(routes)
    schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    refs = dict(zip(types, schemas, strict=True))
    for t in types:  # rules across fields, which msgspec cannot derive (see types.core)
        extra = getattr(t, "json_schema_extra", None)
        if extra and getattr(t, "__name__", None) in components:
            _merge_extra(components[t.__name__], extra)
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        op: dict[str, Any] = {
            "operationId": r.handler.__name__,
            "summary": r.summary,
            "tags": list(r.tags),
            "parameters": [
                {"name": n, "in": "path", "required": True,
                 "schema": r.path_schemas.get(n, {"type": "string", "minLength": 1,
                                                  "maxLength": 64})}
                for n in r.path_params
            ] + [
                {"name": q.name, "in": q.location, "required": q.required, "schema": q.schema,
                 **({"description": q.description} if q.description else {})}
                for q in r.query
            ],
            "responses": {},
        }
        if r.exclusive:
            op["x-clickclack-exclusive-query"] = [list(g) for g in r.exclusive]
        if r.auth == "public":
            op["security"] = []
        else:
            op["security"] = [{"bearer": []}, {"cookie": []}]
            op["x-clickclack-auth"] = {"humans": True, "bots": r.auth == "user",
                                       **({"bot_scope": r.scope} if r.scope else {})}
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": refs[r.body]}}}
        elif r.form is not None:
            op["requestBody"] = {"required": True, "content": {
                "multipart/form-data": {"schema": r.form}}}
        statuses: dict[int, Any] = {r.status: r.response, **r.extra_responses}
        for status, typ in statuses.items():
            entry: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "OK")}
            if typ is not None:
                entry["content"] = {r.content_type: {"schema": refs[typ]}}
            elif r.content_type != "application/json":
                entry["content"] = {r.content_type: {"schema": {"type": "string"}}}
            op["responses"][str(status)] = entry
        for status in r.errors:
            op["responses"].setdefault(str(status), {
                "description": _STATUS_TEXT.get(status, "Error"),
                "content": {"application/problem+json": {"schema": refs[Problem]}},
            })
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ClickClack API",
            "version": __version__,
            "description": "Team chat for people and agents. Errors are RFC 9457 "
                           "problem+json with a stable `code`.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "sst_ session token or ccb_ bot token"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "cc_session"},
            },
        },
    }


_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ClickClack API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script></body></html>
"""
_DOCS_INIT = "window.ui = SwaggerUIBundle({url: '/api/openapi.json', dom_id: '#swagger-ui'});\n"


def _swagger_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def install(app: Quart, config: Config) -> None:
    spec = msgspec.json.encode(build_openapi(config))

    @app.get("/api/openapi.json")
    async def openapi_json() -> Response:
        return Response(spec, content_type="application/json")

    @app.get("/api/docs")
    async def docs_page() -> Response:
        resp = Response(_DOCS_HTML, content_type="text/html; charset=utf-8")
        resp.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'")
        return resp

    @app.get("/api/docs/init.js")
    async def docs_init() -> Response:
        return Response(_DOCS_INIT, content_type="text/javascript")

    @app.get("/api/docs/assets/<path:name>")
    async def docs_assets(name: str) -> Response:
        return await send_from_directory(_swagger_dir(), name)
