"""The web app is served from spa/dist at / (clickclack/spa.py): index.html for app routes, never
for the API or ops paths; immutable caching for hashed assets; a strict CSP; a clear 503 page
when the app is not built."""

from __future__ import annotations

from pathlib import Path

import pytest
from quart_trio import QuartTrio

from clickclack import spa


def make_app(dist: Path) -> QuartTrio:
    app = QuartTrio("spa-test")

    @app.get("/api/real")
    async def real() -> dict[str, bool]:
        return {"ok": True}

    spa.install(app, dist)
    return app


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    (d / "assets").mkdir(parents=True)
    (d / "index.html").write_text("<!doctype html><title>ClickClack</title>"
                                  '<script type="module" src="/assets/index-abc123.js"></script>')
    (d / "assets" / "index-abc123.js").write_text("console.log('app')\n")
    (d / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("not served")
    return d


def assert_strict_csp(headers: object) -> None:
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"  # type: ignore[index]
    assert headers["Referrer-Policy"] == "same-origin"  # type: ignore[index]


@pytest.mark.parametrize("path", ["/", "/login", "/login?magic_token=mgt_x", "/w/T123/c/C456"])
async def test_app_routes_get_index_html_with_a_strict_csp(dist, path):
    client = make_app(dist).test_client()
    r = await client.get(path)
    assert r.status_code == 200
    assert "<title>ClickClack</title>" in await r.get_data(as_text=True)
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Cache-Control"] == "no-cache"
    assert_strict_csp(r.headers)


async def test_hashed_assets_are_immutable_and_other_files_revalidate(dist):
    client = make_app(dist).test_client()
    r = await client.get("/assets/index-abc123.js")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/javascript")
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    r = await client.get("/favicon.svg")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/assets/gone-123.js", "/robots.txt", "/../secret.txt",
                                  "/assets/..%2f..%2fsecret.txt"])
async def test_missing_files_and_traversal_are_404_not_index(dist, path):
    client = make_app(dist).test_client()
    r = await client.get(path)
    assert r.status_code == 404
    assert "not served" not in await r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/nope", "/api", "/healthz/x", "/metrics", "/static/x"])
async def test_reserved_paths_never_fall_back_to_the_app(dist, path):
    client = make_app(dist).test_client()
    assert (await client.get(path)).status_code == 404
    assert (await client.get("/api/real")).status_code == 200


async def test_missing_build_says_how_to_build_it(tmp_path):
    client = make_app(tmp_path / "nothing-here").test_client()
    for path in ("/", "/w/T1/c/C1"):
        r = await client.get(path)
        assert r.status_code == 503
        text = await r.get_data(as_text=True)
        assert "not built" in text and "./scripts/serve" in text and "./scripts/build-spa" in text
        assert_strict_csp(r.headers)


async def test_the_real_app_keeps_api_404s_as_problem_json(http):
    for method in ("GET", "POST"):
        r = await http.request(method, "/api/definitely-not-a-route")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
    assert (await http.get("/metrics")).status_code == 404  # opt-in, and not the app
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    r = await http.get("/")
    assert r.status_code in (200, 503)  # 503 only when spa/dist was never built
    assert_strict_csp(r.headers)
