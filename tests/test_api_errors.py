"""Every error class answers RFC 9457 problem+json with a stable code (D1-D3)."""

import httpx
import pytest

from tests.conftest import bootstrap_ids

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "error"}


def assert_problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status and body["code"] == code
    assert body["error"] == body["detail"]
    assert "Traceback" not in r.text and "sqlite" not in r.text.lower()
    return body


async def test_unknown_route_is_404_problem(http):
    assert_problem(await http.get("/api/nothing-here"), 404, "not_found")


async def test_wrong_method_is_405_problem_with_allow(http):
    r = await http.delete("/api/workspaces")
    assert_problem(r, 405, "method_not_allowed")
    assert "GET" in r.headers["allow"]


async def test_missing_resource_is_404_not_400(http):
    assert_problem(await http.get("/api/workspaces/wsp_00000000000000000000000000"), 404,
                   "workspace_not_found")
    assert_problem(await http.get("/api/channels/chn_nope/messages"), 404, "channel_not_found")


async def test_wrong_content_type_is_415(http):
    _, ch = await bootstrap_ids(http)
    r = await http.post(f"/api/channels/{ch}/messages", content=b"body=hi",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415, "json_content_type_required")


async def test_oversized_body_is_413_and_nothing_is_stored(http, server):
    _, ch = await bootstrap_ids(http)
    big = b'{"body": "' + b"x" * (server.config.max_json_bytes + 10) + b'"}'
    r = await http.post(f"/api/channels/{ch}/messages", content=big,
                        headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "payload_too_large")
    page = (await http.get(f"/api/channels/{ch}/messages")).json()
    assert page["messages"] == []


@pytest.mark.parametrize(("content", "code"), [
    (b'{"body": "a"} {"body": "b"}', "invalid_json"),  # exactly one JSON value
    (b'{"body": ', "invalid_json"),
    (b'{"body": 5}', "validation_failed"),
    (b'{}', "validation_failed"),
    (b'{"body": "   "}', "body_required"),
])
async def test_malformed_bodies_are_400_with_a_code(http, content, code):
    _, ch = await bootstrap_ids(http)
    r = await http.post(f"/api/channels/{ch}/messages", content=content,
                        headers={"Content-Type": "application/json"})
    body = assert_problem(r, 400, code)
    if code == "validation_failed":
        assert body["errors"] and {"loc", "msg"} <= set(body["errors"][0])


async def test_out_of_range_limit_is_400_naming_the_range(http):
    _, ch = await bootstrap_ids(http)
    for bad in ("0", "201", "-1", "abc", "99999999999999999999999"):
        r = await http.get(f"/api/channels/{ch}/messages", params={"limit": bad})
        body = assert_problem(r, 400, "validation_failed")
        assert "1 to 200" in body["detail"]


async def test_invalid_bearer_is_401_and_never_falls_back(http):
    r = await http.get("/api/me", headers={"Authorization": "Bearer sst_bogus"})
    assert_problem(r, 401, "invalid_token")
    # Even with dev bootstrap on and a loopback caller, the bad bearer is not ignored.
    r = await http.get("/api/me", headers={"Authorization": "Basic abc"})
    assert_problem(r, 401, "bad_authorization")


async def test_nonce_conflict_is_409(http):
    _, ch = await bootstrap_ids(http)
    assert (await http.post(f"/api/channels/{ch}/messages",
                            json={"body": "one", "nonce": "n-1"})).status_code == 201
    r = await http.post(f"/api/channels/{ch}/messages", json={"body": "two", "nonce": "n-1"})
    assert_problem(r, 409, "nonce_conflict")


async def test_correlation_id_is_echoed_or_generated(http):
    r = await http.get("/healthz", headers={"X-Correlation-ID": "abc-123"})
    assert r.headers["x-correlation-id"] == "abc-123"
    r = await http.get("/healthz", headers={"X-Correlation-ID": "bad id with spaces"})
    assert r.headers["x-correlation-id"].startswith("corr_")
    body = assert_problem(await http.get("/api/nope"), 404, "not_found")
    assert body["correlation_id"].startswith("corr_")


async def test_unexpected_errors_are_500_problem_without_internals(http, monkeypatch):
    from clickclack.store import Store

    def boom(self, user_id):
        raise RuntimeError("secret internal detail: SELECT * FROM users")

    monkeypatch.setattr(Store, "list_workspaces", boom)
    body = assert_problem(await http.get("/api/workspaces"), 500, "internal_error")
    assert "secret" not in body["detail"] and "SELECT" not in str(body)


async def test_database_read_failure_is_503(http, monkeypatch):
    import sqlite3

    from clickclack.store import workspaces

    def locked(conn, user_id):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(workspaces, "list_workspaces", locked)
    assert_problem(await http.get("/api/workspaces"), 503, "db_unavailable")


async def test_integer_fields_take_integral_numbers_only(http):
    """Issue 9: JSON Schema's "integer" is any number with no fraction, so 2.0 and 2e0 are
    integers as the description states them; 2.5 and "2" are not."""
    _, ch = await bootstrap_ids(http)
    await http.post(f"/api/channels/{ch}/messages", json={"body": "one"})
    for seq in (1.0, 1e0):
        r = await http.post(f"/api/channels/{ch}/read", json={"seq": seq})
        assert r.status_code == 200, r.text
    for seq in (1.5, "1", 1e300):
        r = await http.post(f"/api/channels/{ch}/read", json={"seq": seq})
        assert_problem(r, 400, "validation_failed")


async def test_declared_query_patterns_are_enforced(http):
    """Issue 9: a query parameter with a declared pattern is checked against it (search q may
    not contain NUL: it used to reach the database and answer 503)."""
    ws, _ = await bootstrap_ids(http)
    r = await http.get("/api/search", params={"workspace_id": ws, "q": "a\x00b"})
    assert_problem(r, 400, "validation_failed")
    r = await http.get("/api/search", params={"workspace_id": ws, "q": "x" * 501})
    assert_problem(r, 400, "validation_failed")
