"""Serves the built web app (``spa/dist``, made by ``./scripts/build-spa``) at ``/``.

* ``/`` and every other GET path that is not a file in the build and is not reserved (``/api``,
  ``/healthz``, ``/readyz``, ``/metrics``, ``/static``) answer with ``index.html`` (``no-cache``),
  so deep links such as ``/w/T…/c/C…`` or ``/login?magic_token=…`` load the app.  Reserved paths
  never fall back: an unknown ``/api/...`` path stays a problem+json 404.
* Files under ``/assets/`` carry a content hash in their name (Vite), so they are cached for a
  year as ``immutable``; a missing asset is a 404, never ``index.html`` (a stale tab would
  otherwise try to run HTML as JavaScript).
* HTML carries a strict Content-Security-Policy with no inline script and no inline style: the
  only user-controlled HTML the app inserts is the server-sanitized ``body_html`` (D9), and the
  CSP is the second line of defence behind that.
* Without a build, ``/`` answers 503 with a page saying how to build the app, not a blank page.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import trio
from quart import Quart, Response
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

DIST_DIR = Path(__file__).resolve().parents[1] / "spa" / "dist"

# 'self' covers same-origin ws:/wss: for connect-src (CSP level 3).  img-src allows https: for
# avatars (Gravatar) and data: for tiny inline images.  form-action is not covered by
# default-src, so it is pinned too.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
RESERVED = ("api", "healthz", "readyz", "metrics", "static")

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ClickClack: web app not built</title></head>
<body><h1>The ClickClack web app is not built</h1>
<p>The server and its API are running (see <a href="/api/docs">/api/docs</a>), but
<code>spa/dist/index.html</code> is missing, so there is no web app to serve.</p>
<p>Build it with <code>./scripts/build-spa</code> (needs Node.js 20.19+ and npm), or start the
server with <code>./scripts/serve</code>, which builds it first.</p>
</body></html>
"""


class AppPathConverter(PathConverter):
    """A path that does not start with a reserved top-level segment, so the SPA fallback can
    never shadow the API, the ops endpoints or their 404s."""

    regex = r"(?!(?:" + "|".join(RESERVED) + r")(?:/|$))[^/].*?"


def _headers(resp: Response, *, html: bool) -> Response:
    if html:
        resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Referrer-Policy"] = "same-origin"
    return resp


async def _index(dist: Path) -> Response:
    index = trio.Path(dist / "index.html")
    try:
        body = await index.read_bytes()
    except FileNotFoundError:
        resp = Response(_NOT_BUILT, status=503, content_type="text/html; charset=utf-8")
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Retry-After"] = "60"
        return _headers(resp, html=True)
    resp = Response(body, content_type="text/html; charset=utf-8")
    resp.headers["Cache-Control"] = "no-cache"
    return _headers(resp, html=True)


async def _file(dist: Path, path: str) -> Response | None:
    joined = safe_join(str(dist), path)
    if joined is None:
        return None
    file = trio.Path(joined)
    if not await file.is_file():
        return None
    ctype = mimetypes.guess_type(joined)[0] or "application/octet-stream"
    if ctype.startswith("text/") or ctype in ("application/javascript", "image/svg+xml"):
        ctype += "; charset=utf-8"
    resp = Response(await file.read_bytes(), content_type=ctype)
    resp.headers["Cache-Control"] = IMMUTABLE if path.startswith("assets/") else "no-cache"
    return _headers(resp, html=ctype.startswith("text/html"))


def install(app: Quart, dist: Path = DIST_DIR) -> None:
    """Register ``/`` and the fallback route.  Call after every API route is registered."""
    app.url_map.converters["apppath"] = AppPathConverter

    @app.get("/")
    async def spa_index() -> Response:
        return await _index(dist)

    @app.get("/<apppath:path>")
    async def spa_path(path: str) -> Response:
        resp = await _file(dist, path)
        if resp is not None:
            return resp
        last = path.rsplit("/", 1)[-1]
        if path.startswith("assets/") or "." in last:
            raise NotFound()  # a missing file, not an app route
        return await _index(dist)


def openapi_document() -> bytes:
    """The OpenAPI description the web app's client is generated from: every route registered by
    the app's route modules, with the default configuration (opt-in routes left out)."""
    import json

    import clickclack.app  # noqa: F401  (registers the routes)
    from clickclack.api.openapi import build_openapi
    from clickclack.config import Config

    return json.dumps(build_openapi(Config()), indent=1, sort_keys=True).encode() + b"\n"


if __name__ == "__main__":  # python -m clickclack.spa openapi  (used by scripts/gen-api-client)
    import sys

    if sys.argv[1:] != ["openapi"]:
        sys.exit("usage: python -m clickclack.spa openapi")
    sys.stdout.buffer.write(openapi_document())
