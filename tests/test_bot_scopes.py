"""Bot tokens against the route table (contract 17.2, 2.1): scopes are checked per route, bots
never reach human-only routes, and a token bound to one workspace sees nothing of another, even
after the bot joins it."""

from __future__ import annotations

import re

from trio_websocket import HandshakeError

from clickclack.api.routing import ROUTES
from tests.conftest import bootstrap_ids, sign_up, tail_cursor
from tests.helpers import add_member, create_bot, events_until, open_socket

ALL_GRANTABLE = ["bot:admin", "agent_activity:write"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_scopes_are_expanded_sorted_and_validated(http):
    ws_id, _ = await bootstrap_ids(http)
    made = await create_bot(http, ws_id, scopes=["bot:read,messages:write", "messages:read"])
    assert made["bot_token"]["scopes"] == sorted({
        "workspaces:read", "channels:read", "messages:read", "threads:read", "dms:read",
        "realtime:read", "profile:read", "messages:write"})
    admin = await create_bot(http, ws_id, display_name="Admin", scopes=ALL_GRANTABLE)
    assert {"channels:write", "agent_activity:write"} <= set(admin["bot_token"]["scopes"])
    write = await create_bot(http, ws_id, display_name="Writer", scopes=["bot:write"])
    assert "agent_activity:write" not in write["bot_token"]["scopes"]  # in no bundle
    assert "channels:write" not in write["bot_token"]["scopes"]


async def test_a_read_only_token_reads_but_cannot_write(server, http):
    ws_id, general = await bootstrap_ids(http)
    raw = (await create_bot(http, ws_id, scopes=["bot:read"]))["bot_token"]["token"]
    h = bearer(raw)
    assert (await http.get(f"/api/channels/{general}/messages", headers=h)).status_code == 200
    assert (await http.get(f"/api/workspaces/{ws_id}/channels", headers=h)).status_code == 200
    assert (await http.get("/api/realtime/events", params={"workspace_id": ws_id},
                           headers=h)).status_code == 200
    for method, url, body in [
        ("POST", f"/api/channels/{general}/messages", {"body": "hi"}),
        ("POST", f"/api/workspaces/{ws_id}/channels", {"name": "bots"}),
        ("POST", "/api/realtime/ephemeral", {"workspace_id": ws_id, "type": "typing.started",
                                             "channel_id": general}),
    ]:
        r = await http.request(method, url, json=body, headers=h)
        assert r.status_code == 403, (url, r.text)
        assert r.json()["code"] == "missing_scope"
    # Without channels:write a bot:write token still cannot create channels.
    writer = (await create_bot(http, ws_id, display_name="W"))["bot_token"]["token"]
    r = await http.post(f"/api/workspaces/{ws_id}/channels", json={"name": "nope"},
                        headers=bearer(writer))
    assert r.status_code == 403 and r.json()["code"] == "missing_scope"
    r = await http.post(f"/api/channels/{general}/messages", json={"body": "ok"},
                        headers=bearer(writer))
    assert r.status_code == 201


async def test_bot_tokens_get_403_human_only_on_every_human_route(http):
    """Every auth="human" route refuses a bot token (with every grantable scope) before doing
    anything: POST /api/workspaces, moderation, bot administration, and the rest."""
    ws_id, _ = await bootstrap_ids(http)
    made = await create_bot(http, ws_id, scopes=ALL_GRANTABLE)
    h = bearer(made["bot_token"]["token"])
    ids = {"workspace_id": ws_id, "bot_user_id": made["bot"]["id"],
           "token_id": made["bot_token"]["id"], "user_id": made["bot"]["id"]}
    human_routes = [r for r in ROUTES if r.auth == "human"]
    paths = {(r.method, r.path) for r in human_routes}
    assert {("POST", "/api/workspaces"),
            ("GET", "/api/workspaces/{workspace_id}/moderation/members"),
            ("PATCH", "/api/workspaces/{workspace_id}/moderation/members/{user_id}"),
            ("POST", "/api/workspaces/{workspace_id}/bots"),
            ("POST", "/api/bot-tokens/{token_id}/revoke"),
            ("DELETE", "/api/bots/{bot_user_id}"), ("GET", "/api/me/bots")} <= paths
    for spec in human_routes:
        url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x_unknown"), spec.path)
        r = await http.request(spec.method, url, json={} if spec.body else None, headers=h)
        assert r.status_code == 403, (spec.method, spec.path, r.status_code, r.text)
        assert r.json()["code"] == "human_only", (spec.method, spec.path)
    # Nothing was done: the token still works and the bot still exists.
    assert (await http.get("/api/me", headers=h)).status_code == 200


# Bodies that pass validation for the routes that take one, so the answer is about access.
def _bodies(ws: str, channel: str, message: str) -> dict[tuple[str, str], dict]:
    return {
        ("POST", "/api/channels/{channel_id}/messages"): {"body": "hello"},
        ("PATCH", "/api/channels/{channel_id}"): {"display_title": "x"},
        ("POST", "/api/channels/{channel_id}/members"): {"user_id": "usr_x"},
        ("PATCH", "/api/messages/{message_id}"): {"body": "edited"},
        ("POST", "/api/messages/{message_id}/thread/replies"): {"body": "reply"},
        ("POST", "/api/messages/{message_id}/reactions"): {"emoji": "x"},
        ("POST", "/api/channels/{channel_id}/pins"): {"message_id": message},
        ("POST", "/api/channels/{channel_id}/read"): {"seq": 1},
        ("POST", "/api/realtime/ephemeral"): {"workspace_id": ws, "type": "typing.started",
                                              "channel_id": channel},
        ("POST", "/api/workspaces/{workspace_id}/channels"): {"name": "intrusion"},
    }


async def test_a_token_bound_to_workspace_a_gets_404_in_b_even_after_joining_b(server, http):
    ws_a, general_a = await bootstrap_ids(http)
    r = await http.post("/api/workspaces", json={"name": "Bravo"})
    ws_b = r.json()["workspace"]["id"]
    chans = (await http.get(f"/api/workspaces/{ws_b}/channels")).json()["channels"]
    general_b = next(c["id"] for c in chans if c["name"] == "general")
    message_b = (await http.post(f"/api/channels/{general_b}/messages", json={"body": "b"})
                 ).json()["message"]["id"]
    made = await create_bot(http, ws_a, scopes=ALL_GRANTABLE)
    bot_id, raw_a = made["bot"]["id"], made["bot_token"]["token"]
    await add_member(http, ws_b, bot_id, "bot")  # the bot joins B later
    r = await http.post(f"/api/workspaces/{ws_b}/bots/{bot_id}/tokens",
                        json={"scopes": ALL_GRANTABLE})
    assert r.status_code == 201, r.text
    raw_b = r.json()["bot_token"]["token"]

    ids = {"workspace_id": ws_b, "channel_id": general_b, "message_id": message_b,
           "user_id": bot_id, "emoji": "x"}
    query = {"workspace_id": ws_b, "nonce": "n"}
    bodies = _bodies(ws_b, general_b, message_b)
    checked = set()
    for spec in ROUTES:
        if spec.auth != "user" or spec.path == "/api/realtime/ws":
            continue
        names = re.findall(r"\{(\w+)\}", spec.path)
        takes_workspace = any(q.name == "workspace_id" for q in spec.query) or (
            spec.body is not None and "workspace_id" in spec.body.__struct_fields__)
        if not names and not takes_workspace:
            continue  # not about one workspace (/api/me, /api/workspaces)
        if any(n not in ids for n in names):
            continue  # needs an object this test does not make
        body = None
        if spec.body is not None:
            body = bodies.get((spec.method, spec.path))
            if body is None:
                continue
        url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], spec.path)
        params = {q.name: query[q.name] for q in spec.query if q.name in query}
        r = await http.request(spec.method, url, params=params, json=body,
                               headers=bearer(raw_a))
        assert r.status_code == 404, (spec.method, spec.path, r.status_code, r.text)
        checked.add((spec.method, spec.path))
    assert {
        ("GET", "/api/workspaces/{workspace_id}"),
        ("GET", "/api/workspaces/{workspace_id}/channels"),
        ("POST", "/api/workspaces/{workspace_id}/channels"),
        ("GET", "/api/channels/{channel_id}/messages"),
        ("POST", "/api/channels/{channel_id}/messages"),
        ("GET", "/api/realtime/events"),
        ("POST", "/api/realtime/ephemeral"),
    } <= checked

    # The websocket too; and the workspace list shows A only.
    try:
        async with open_socket(server, ws_b, None, raw_a):
            status = 101
    except HandshakeError as exc:
        status = exc.status_code  # type: ignore[attr-defined]
    assert status == 404
    listed = (await http.get("/api/workspaces", headers=bearer(raw_a))).json()["workspaces"]
    assert [w["id"] for w in listed] == [ws_a]

    # Control: the same requests with a token bound to B are allowed, and that token gets
    # 404 in A.
    hb = bearer(raw_b)
    assert (await http.get(f"/api/workspaces/{ws_b}/channels", headers=hb)).status_code == 200
    assert (await http.get(f"/api/channels/{general_b}/messages", headers=hb)).status_code == 200
    r = await http.post(f"/api/channels/{general_b}/messages", json={"body": "x"}, headers=hb)
    assert r.status_code == 201
    assert (await http.get(f"/api/workspaces/{ws_a}", headers=hb)).status_code == 404
    assert (await http.get(f"/api/channels/{general_a}/messages", headers=hb)).status_code == 404


async def test_agent_progress_works_for_bots_with_messages_write_only(server, http):
    ws_id, general = await bootstrap_ids(http)
    writer = await create_bot(http, ws_id, display_name="Agent", scopes=["bot:write"])
    reader = await create_bot(http, ws_id, display_name="Reader", scopes=["bot:read"])
    person = await sign_up(http, "person@example.com", "Person")
    await add_member(http, ws_id, person.user_id)
    body = {"workspace_id": ws_id, "type": "agent.progress", "channel_id": general,
            "payload": {"turn_id": "t1", "seq": 1, "op": "append", "line": {"id": "l1"}}}
    tail = await tail_cursor(http, ws_id, headers=person.headers)
    async with open_socket(server, ws_id, tail, person.token) as ws:
        r = await http.post("/api/realtime/ephemeral", json=body,
                            headers=bearer(writer["bot_token"]["token"]))
        assert r.status_code == 202, r.text
        sent = r.json()["event"]
        assert sent["cursor"] == "" and sent["payload"]["user_id"] == writer["bot"]["id"]
        (got,) = await events_until(ws, lambda e: e["type"] == "agent.progress")
        assert got["payload"]["turn_id"] == "t1" and got["channel_id"] == general
    r = await http.post("/api/realtime/ephemeral", json=body,
                        headers=bearer(reader["bot_token"]["token"]))
    assert r.status_code == 403 and r.json()["code"] == "missing_scope"
    for headers in (person.headers, None):  # humans, by bearer or dev sign-in
        r = await http.post("/api/realtime/ephemeral", json=body, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "bot_only"
