"""The IDOR matrix: for every operation in the OpenAPI description, callers who must not reach
workspace A's data -- a user of another workspace, and bot tokens bound elsewhere or lacking the
scope -- get 401/403/404 and never a byte of A's data.  Their sockets never receive A's events,
live or replayed.

The matrix is built from /api/openapi.json, so a route added later is covered automatically.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import trio
from trio_websocket import HandshakeError, open_websocket_url

from tests.conftest import bootstrap_ids, sign_up, tail_cursor

SECRET = "zebra-quartz-secret-4471"
# Routes that act only on the caller's own things: no foreign id can be given to them.
SELF_SCOPED = {
    ("GET", "/api/me"), ("PATCH", "/api/me"), ("GET", "/api/workspaces"),
    ("POST", "/api/workspaces"), ("GET", "/api/me/bots"), ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/methods"), ("POST", "/api/auth/magic/request"),
    ("POST", "/api/auth/magic/consume"),
    ("POST", "/api/auth/password/login"), ("POST", "/api/auth/password/change"),
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
    ("GET", "/api/realtime/ws"),  # covered by the websocket tests below
    ("POST", "/api/bot-setup-codes/claim"),
}


def sample(schema: dict[str, Any], components: dict[str, Any], name: str = "") -> Any:
    """A plausible valid value for a JSON schema (so validation does not mask access checks)."""
    if "$ref" in schema:
        return sample(components[schema["$ref"].rsplit("/", 1)[1]], components, name)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return sample(options[0], components, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: sample(v, components, k) for k, v in props.items()
                if k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if "email" in name:
        return "idor@example.com"
    if name in ("emoji",):
        return "thumbsup"
    return f"idor {name}"[: schema.get("maxLength", 100)]


async def victim_fixture(http: httpx.AsyncClient) -> dict[str, str]:
    """Workspace A with a channel, a secret message and an event log."""
    ws, ch = await bootstrap_ids(http)
    r = await http.post(f"/api/channels/{ch}/messages", json={"body": SECRET})
    assert r.status_code == 201
    me = (await http.get("/api/me")).json()["user"]["id"]
    ids = {"workspace_id": ws, "channel_id": ch, "message_id": r.json()["message"]["id"],
           "user_id": me, "bot_user_id": me, "conversation_id": "dm_" + "0" * 26,
           "upload_id": "upl_" + "0" * 26, "token_id": "btok_" + "0" * 26,
           "invite_id": "inv_" + "0" * 26, "token": "x" * 20, "emoji": "thumbsup"}
    # Optional extras, when those features exist.
    bots = await http.post(f"/api/workspaces/{ws}/bots", json={"display_name": "Victim Bot"})
    if bots.status_code == 201:
        ids["bot_user_id"] = bots.json()["bot"]["id"]
        ids["token_id"] = bots.json()["bot_token"]["id"]
    inv = await http.post(f"/api/workspaces/{ws}/invites", json={})
    if inv.status_code == 201:
        ids["invite_id"] = inv.json()["invite"]["id"]
    return ids


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "nope_" + "0" * 26), path)


async def call_all(http: httpx.AsyncClient, spec: dict[str, Any], ids: dict[str, str],
                   headers: dict[str, str]) -> list[tuple[str, str, int, str]]:
    components = spec["components"]["schemas"]
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            method = method.upper()
            if (method, path) in SELF_SCOPED:
                continue
            params = {p["name"]: ids.get(p["name"], sample(p["schema"], components, p["name"]))
                      for p in op.get("parameters", []) if p["in"] == "query" and p["required"]}
            body = None
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                body = sample(schema, components)
                for key in ("channel_id", "message_id", "workspace_id", "user_id"):
                    if isinstance(body, dict) and key in body:
                        body[key] = ids[key]
            r = await http.request(method, fill(path, ids), params=params, json=body,
                                   headers=headers)
            out.append((method, path, r.status_code, r.text))
    return out


async def test_a_user_of_another_workspace_reaches_nothing(http):
    spec = (await http.get("/api/openapi.json")).json()
    ids = await victim_fixture(http)
    outsider = await sign_up(http, "outsider@example.com", "Outsider")
    await http.post("/api/workspaces", json={"name": "Outsider Co"}, headers=outsider.headers)
    results = await call_all(http, spec, ids, outsider.headers)
    assert len(results) >= 5
    for method, path, status, text in results:
        assert status in (401, 403, 404), (method, path, status, text)
        assert SECRET not in text, (method, path)
        assert ids["workspace_id"] not in text or status == 404, (method, path, text)
    # Nothing changed in A.
    page = (await http.get(f"/api/channels/{ids['channel_id']}/messages")).json()
    assert [m["body"] for m in page["messages"]] == [SECRET]


async def test_the_outsiders_socket_never_gets_foreign_events(server, http):
    ids = await victim_fixture(http)
    outsider = await sign_up(http, "watcher@example.com")
    own = (await http.post("/api/workspaces", json={"name": "Watcher"},
                           headers=outsider.headers)).json()["workspace"]["id"]
    proto = [f"clickclack.bearer.{outsider.token}"]
    # Subscribing to A directly is refused before any byte of A is sent.
    with pytest.raises(HandshakeError) as refused:
        async with open_websocket_url(
            server.ws_url + f"/api/realtime/ws?workspace_id={ids['workspace_id']}",
                subprotocols=proto):
            pass
    assert refused.value.status_code == 404  # type: ignore[attr-defined]
    # On its own workspace's socket, A's traffic never shows up: replay from zero and live.
    async with open_websocket_url(server.ws_url + f"/api/realtime/ws?workspace_id={own}",
                                  subprotocols=proto) as ws:
        await http.post(f"/api/channels/{ids['channel_id']}/messages", json={"body": SECRET})
        seen = []
        with trio.move_on_after(1):
            while True:
                seen.append(await ws.get_message())
        assert all(ids["workspace_id"] not in m and SECRET not in m for m in seen)
    tail = await tail_cursor(http, own, headers=outsider.headers)
    events = (await http.get("/api/realtime/events", params={"workspace_id": own},
                             headers=outsider.headers)).json()["events"]
    assert all(e["workspace_id"] == own for e in events) and tail


async def test_bot_tokens_outside_their_scope_or_workspace_reach_nothing(http):
    spec = (await http.get("/api/openapi.json")).json()
    ids = await victim_fixture(http)
    # A bot in another workspace, with every grantable scope.
    owner = await sign_up(http, "botowner@example.com")
    other = (await http.post("/api/workspaces", json={"name": "Bot Home"},
                             headers=owner.headers)).json()["workspace"]["id"]
    r = await http.post(f"/api/workspaces/{other}/bots",
                        json={"display_name": "Roamer", "scopes": ["bot:admin"]},
                        headers=owner.headers)
    assert r.status_code == 201, r.text
    token = r.json()["bot_token"]["token"]
    results = await call_all(http, spec, ids, {"Authorization": f"Bearer {token}"})
    for method, path, status, text in results:
        assert status in (401, 403, 404), (method, path, status, text)
        assert SECRET not in text, (method, path)


