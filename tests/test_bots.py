"""Bots and bot tokens end to end (contract 17.1-17.4): creation, who may manage what, tokens
shown once and stored hashed, setup-nonce replays, and revocation / removal / deletion closing
the bot's open websockets with 1008 at once."""

from __future__ import annotations

import hashlib
import sqlite3

import trio

from tests.conftest import bootstrap_ids, sign_up, tail_cursor
from tests.helpers import _DB, add_member, close_code, create_bot, events_until, open_socket

READ_SCOPES = ["channels:read", "dms:read", "messages:read", "profile:read", "realtime:read",
               "threads:read", "workspaces:read"]
WRITE_SCOPES = sorted([*READ_SCOPES, "commands:write", "dms:write", "messages:write",
                       "threads:write", "uploads:write"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sync(http, ws, channel_id: str) -> None:
    """Prove the socket is live: a post made now arrives on it."""
    r = await http.post(f"/api/channels/{channel_id}/messages", json={"body": "sync"})
    assert r.status_code == 201, r.text
    cursor = r.json()["event"]["cursor"]
    await events_until(ws, lambda e: e["cursor"] == cursor)


async def test_create_a_service_bot_token_shown_once_and_stored_hashed(http):
    ws_id, general = await bootstrap_ids(http)
    created = await create_bot(http, ws_id, display_name="  Builder ", handle="@Builder",
                               avatar_url="https://example.com/b.png",
                               scopes=["bot:read", "messages:write"], token_name="ci")
    bot, token = created["bot"], created["bot_token"]
    assert bot["kind"] == "bot" and bot["id"].startswith("usr_")
    assert bot["display_name"] == "Builder" and bot["handle"] == "builder"
    assert "owner_user_id" not in bot  # a service bot
    raw = token["token"]
    assert raw.startswith("ccb_") and token["id"].startswith("btok_")
    assert token["bot_user_id"] == bot["id"] and token["workspace_id"] == ws_id
    assert token["name"] == "ci"
    assert token["scopes"] == sorted([*READ_SCOPES, "messages:write"])
    assert "revoked_at" not in token

    # The bot joined with role bot; its token works and is bound to this workspace.
    me = await http.get("/api/me", headers=bearer(raw))
    assert me.status_code == 200 and me.json()["user"]["id"] == bot["id"]
    spaces = (await http.get("/api/workspaces", headers=bearer(raw))).json()["workspaces"]
    assert [(w["id"], w["role"]) for w in spaces] == [(ws_id, "bot")]
    r = await http.post(f"/api/channels/{general}/messages", json={"body": "beep"},
                        headers=bearer(raw))
    assert r.status_code == 201 and r.json()["message"]["author_id"] == bot["id"]

    # Listings are redacted.
    listed = (await http.get(f"/api/workspaces/{ws_id}/bots")).json()["bots"]
    (entry,) = [b for b in listed if b["bot"]["id"] == bot["id"]]
    assert [t["id"] for t in entry["tokens"]] == [token["id"]]
    assert "token" not in entry["tokens"][0]
    tokens = (await http.get(f"/api/workspaces/{ws_id}/bots/{bot['id']}/tokens")).json()
    assert "token" not in tokens["bot_tokens"][0]

    # Only the SHA-256 digest is stored.
    db = sqlite3.connect(_DB[str(http.base_url)])
    try:
        (stored,) = db.execute("SELECT token_hash FROM bot_tokens WHERE id = ?",
                               (token["id"],)).fetchone()
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    assert stored == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in dump


async def test_create_bot_defaults_and_input_rules(http):
    ws_id, _ = await bootstrap_ids(http)
    plain = await create_bot(http, ws_id, display_name="Plain")
    assert plain["bot_token"]["scopes"] == WRITE_SCOPES  # empty scopes mean bot:write
    assert plain["bot_token"]["name"] == "default"
    quiet = await create_bot(http, ws_id, display_name="Quiet", initial_token=False)
    assert "bot_token" not in quiet
    assert (await http.get(f"/api/workspaces/{ws_id}/bots/{quiet['bot']['id']}/tokens")
            ).json() == {"bot_tokens": []}
    agent = await create_bot(http, ws_id, display_name="Agent",
                             scopes=["bot:read,messages:write", "agent_activity:write"])
    assert "agent_activity:write" in agent["bot_token"]["scopes"]
    await create_bot(http, ws_id, display_name="Taken", handle="taken")

    async def refused(body, status, code):
        r = await http.post(f"/api/workspaces/{ws_id}/bots", json=body)
        assert r.status_code == status, r.text
        assert r.json()["code"] == code

    await refused({"display_name": "  "}, 400, "display_name_required")
    await refused({"display_name": "x" * 81}, 400, "display_name_too_long")
    await refused({"display_name": "S", "scopes": ["bot:read", "nope:read"]}, 400,
                  "unknown_scope")
    await refused({"display_name": "S", "scopes": ["workspaces:write"]}, 400, "unknown_scope")
    await refused({"display_name": "S", "handle": "-bad handle"}, 400, "invalid_handle")
    await refused({"display_name": "S", "handle": "TAKEN"}, 409, "handle_taken")
    await refused({"display_name": "S", "avatar_url": "javascript:alert(1)"}, 400,
                  "invalid_avatar_url")
    await refused({"display_name": "S", "setup_nonce": "short"}, 400, "validation_failed")
    await refused({"display_name": "S", "token_name": "n" * 81}, 400, "token_name_too_long")
    r = await http.post("/api/workspaces/wsp_00000000000000000000000000/bots",
                        json={"display_name": "S"})
    assert r.status_code == 404


async def test_who_may_create_bots(http):
    ws_id, _ = await bootstrap_ids(http)
    member = await sign_up(http, "member@example.com", "Member")
    guest = await sign_up(http, "guest@example.com", "Guest")
    stranger = await sign_up(http, "stranger@example.com", "Stranger")
    await add_member(http, ws_id, member.user_id, "member")
    await add_member(http, ws_id, guest.user_id, "guest")
    captain = (await http.get("/api/me")).json()["user"]["id"]
    url = f"/api/workspaces/{ws_id}/bots"

    r = await http.post(url, json={"display_name": "Svc"}, headers=member.headers)
    assert r.status_code == 403 and r.json()["code"] == "workspace_manager_required"
    r = await http.post(url, json={"display_name": "Mine", "owner_user_id": captain},
                        headers=member.headers)
    assert r.status_code == 403 and r.json()["code"] == "bot_owner_required"
    mine = await create_bot(http, ws_id, headers=member.headers, display_name="Mine",
                            owner_user_id=member.user_id)
    assert mine["bot"]["owner_user_id"] == member.user_id
    assert mine["bot_token"]["owner_user_id"] == member.user_id
    r = await http.post(url, json={"display_name": "G", "owner_user_id": guest.user_id},
                        headers=guest.headers)
    assert r.status_code == 403 and r.json()["code"] == "moderation_restriction"
    r = await http.post(url, json={"display_name": "X", "owner_user_id": stranger.user_id},
                        headers=stranger.headers)
    assert r.status_code == 404
    r = await http.post(url, json={"display_name": "Botception"},
                        headers=bearer(mine["bot_token"]["token"]))
    assert r.status_code == 403 and r.json()["code"] == "human_only"


async def test_token_management_rights_and_order(http):
    ws_id, _ = await bootstrap_ids(http)
    member = await sign_up(http, "member@example.com", "Member")
    stranger = await sign_up(http, "stranger@example.com", "Stranger")
    await add_member(http, ws_id, member.user_id, "member")
    service = (await create_bot(http, ws_id, display_name="Svc"))["bot"]
    own = (await create_bot(http, ws_id, headers=member.headers, display_name="Own",
                            owner_user_id=member.user_id))["bot"]

    def tokens_url(bot_id):
        return f"/api/workspaces/{ws_id}/bots/{bot_id}/tokens"

    # Service bot: managers mint; user-owned bot: only its owner (not even the workspace owner).
    r = await http.post(tokens_url(service["id"]), json={}, headers=member.headers)
    assert r.status_code == 403 and r.json()["code"] == "workspace_manager_required"
    r = await http.post(tokens_url(own["id"]), json={"name": "x"})
    assert r.status_code == 403 and r.json()["code"] == "bot_owner_required"
    r = await http.post(tokens_url(own["id"]), json={}, headers=stranger.headers)
    assert r.status_code == 404
    r = await http.post(tokens_url(own["id"]), json={"name": "second", "scopes": "bot:read"},
                        headers=member.headers)
    assert r.status_code == 201, r.text
    second = r.json()["bot_token"]
    assert second["token"].startswith("ccb_") and second["scopes"] == READ_SCOPES
    r = await http.post(tokens_url(service["id"]), json={"name": "svc2"})
    assert r.status_code == 201
    svc_token = r.json()["bot_token"]

    # Any member lists them, newest first and redacted; strangers get 404.
    listed = (await http.get(tokens_url(own["id"]), headers=member.headers)).json()
    assert [t["name"] for t in listed["bot_tokens"]] == ["second", "default"]
    assert all("token" not in t for t in listed["bot_tokens"])
    assert (await http.get(tokens_url(own["id"]), headers=stranger.headers)).status_code == 404
    assert (await http.get(tokens_url("usr_nope"))).status_code == 404

    # Revoke: service bot token by a manager, user bot token by its owner.
    revoke = f"/api/bot-tokens/{svc_token['id']}/revoke"
    r = await http.post(revoke, headers=member.headers)
    assert r.status_code == 403
    r = await http.post(revoke, headers=stranger.headers)
    assert r.status_code == 404
    r = await http.post(f"/api/bot-tokens/{second['id']}/revoke")
    assert r.status_code == 403 and r.json()["code"] == "bot_owner_required"
    assert (await http.get("/api/me", headers=bearer(svc_token["token"]))).status_code == 200
    r = await http.post(revoke)
    assert r.status_code == 200
    revoked = r.json()["bot_token"]
    assert revoked["id"] == svc_token["id"] and revoked["revoked_at"]
    assert "token" not in revoked
    assert (await http.get("/api/me", headers=bearer(svc_token["token"]))).status_code == 401
    again = await http.post(revoke)  # idempotent
    assert again.status_code == 200
    assert again.json()["bot_token"]["revoked_at"] == revoked["revoked_at"]
    r = await http.post(f"/api/bot-tokens/{second['id']}/revoke", headers=member.headers)
    assert r.status_code == 200
    assert (await http.get("/api/me", headers=bearer(second["token"]))).status_code == 401
    assert (await http.post("/api/bot-tokens/btok_nope/revoke")).status_code == 404


async def test_revoking_a_token_closes_only_that_tokens_socket_with_1008(server, http):
    ws_id, general = await bootstrap_ids(http)
    created = await create_bot(http, ws_id, display_name="Watcher", scopes=["bot:read"])
    bot_id, first = created["bot"]["id"], created["bot_token"]
    r = await http.post(f"/api/workspaces/{ws_id}/bots/{bot_id}/tokens",
                        json={"scopes": ["bot:read"]})
    other = r.json()["bot_token"]
    tail = await tail_cursor(http, ws_id, headers=bearer(first["token"]))
    async with open_socket(server, ws_id, tail, first["token"]) as a, \
            open_socket(server, ws_id, tail, other["token"]) as b:
        await sync(http, a, general)
        await sync(http, b, general)
        r = await http.post(f"/api/bot-tokens/{first['id']}/revoke")
        assert r.status_code == 200
        code, _ = await close_code(a, within=3)  # at once, not at the 30 s recheck
        assert code == 1008
        await sync(http, b, general)  # the bot's other token keeps its socket
    assert (await http.get("/api/workspaces", headers=bearer(first["token"]))).status_code == 401
    assert (await http.get("/api/workspaces", headers=bearer(other["token"]))).status_code == 200


async def test_removing_a_bots_membership_revokes_its_tokens_and_closes_sockets(server, http):
    ws_id, general = await bootstrap_ids(http)
    member = await sign_up(http, "member@example.com", "Member")
    await add_member(http, ws_id, member.user_id, "member")
    created = await create_bot(http, ws_id, display_name="Leaver", scopes=["bot:read"])
    bot_id, raw = created["bot"]["id"], created["bot_token"]["token"]
    url = f"/api/workspaces/{ws_id}/bots/{bot_id}/membership"
    r = await http.delete(url, headers=member.headers)
    assert r.status_code == 403 and r.json()["code"] == "workspace_manager_required"
    r = await http.delete(url, headers=bearer(raw))
    assert r.status_code == 403 and r.json()["code"] == "human_only"
    tail = await tail_cursor(http, ws_id, headers=bearer(raw))
    async with open_socket(server, ws_id, tail, raw) as ws:
        await sync(http, ws, general)
        r = await http.delete(url)
        assert r.status_code == 204 and r.content == b""
        code, _ = await close_code(ws, within=3)
        assert code == 1008
    assert (await http.get("/api/workspaces", headers=bearer(raw))).status_code == 401
    listed = (await http.get(f"/api/workspaces/{ws_id}/bots")).json()["bots"]
    assert bot_id not in [b["bot"]["id"] for b in listed]
    tokens = (await http.get(f"/api/workspaces/{ws_id}/bots/{bot_id}/tokens")).json()
    assert all(t.get("revoked_at") for t in tokens["bot_tokens"])
    assert (await http.delete(url)).status_code == 404  # no longer a member
    r = await http.delete(f"/api/workspaces/{ws_id}/bots/{member.user_id}/membership")
    assert r.status_code == 404  # not a bot


async def test_deleting_a_user_bot_retires_it_and_keeps_history(server, http):
    ws_id, general = await bootstrap_ids(http)
    member = await sign_up(http, "member@example.com", "Member")
    stranger = await sign_up(http, "stranger@example.com", "Stranger")
    await add_member(http, ws_id, member.user_id, "member")
    created = await create_bot(http, ws_id, headers=member.headers, display_name="Helper",
                               handle="helper", owner_user_id=member.user_id)
    bot_id, raw = created["bot"]["id"], created["bot_token"]["token"]
    r = await http.post(f"/api/channels/{general}/messages", json={"body": "I was here"},
                        headers=bearer(raw))
    message_id = r.json()["message"]["id"]

    r = await http.delete(f"/api/bots/{bot_id}")
    assert r.status_code == 403 and r.json()["code"] == "bot_owner_required"
    assert (await http.delete(f"/api/bots/{bot_id}", headers=stranger.headers)
            ).status_code == 404
    tail = await tail_cursor(http, ws_id, headers=bearer(raw))
    async with open_socket(server, ws_id, tail, raw) as ws:
        await sync(http, ws, general)
        r = await http.delete(f"/api/bots/{bot_id}", headers=member.headers)
        assert r.status_code == 200, r.text
        code, _ = await close_code(ws, within=3)
        assert code == 1008
    deleted = r.json()["deleted_bot"]
    assert deleted["id"] == bot_id and deleted["display_name"] == "Helper"
    assert deleted["former_handle"] == "helper" and deleted["deleted_at"]

    assert (await http.get("/api/me", headers=bearer(raw))).status_code == 401
    page = (await http.get(f"/api/channels/{general}/messages")).json()["messages"]
    (kept,) = [m for m in page if m["id"] == message_id]
    assert kept["author_id"] == bot_id and kept["author"]["handle"] == ""
    listed = (await http.get(f"/api/workspaces/{ws_id}/bots")).json()["bots"]
    assert bot_id not in [b["bot"]["id"] for b in listed]
    assert (await http.get("/api/me/bots", headers=member.headers)).json() == {"bots": []}
    assert (await http.delete(f"/api/bots/{bot_id}", headers=member.headers)
            ).status_code == 404
    # The handle is free again.
    await create_bot(http, ws_id, display_name="Helper 2", handle="helper")


async def test_deleting_a_service_bot_needs_a_manager_of_every_workspace(http):
    ws_a, _ = await bootstrap_ids(http)
    other = await sign_up(http, "other@example.com", "Other")
    await add_member(http, ws_a, other.user_id, "member")
    r = await http.post("/api/workspaces", json={"name": "Second"}, headers=other.headers)
    assert r.status_code == 201, r.text
    ws_b = r.json()["workspace"]["id"]
    created = await create_bot(http, ws_a, display_name="Shared")
    bot_id = created["bot"]["id"]
    await add_member(http, ws_b, bot_id, "bot")
    captain = (await http.get("/api/me")).json()["user"]["id"]

    # Legacy routes need the bot to be in exactly one workspace.
    r = await http.get(f"/api/bots/{bot_id}/tokens")
    assert r.status_code == 400 and r.json()["code"] == "bot_workspace_ambiguous"

    r = await http.delete(f"/api/bots/{bot_id}")  # the captain does not manage B
    assert r.status_code == 403 and r.json()["code"] == "workspace_manager_required"
    r = await http.delete(f"/api/bots/{bot_id}", headers=other.headers)  # other: not in A
    assert r.status_code == 403
    await add_member(http, ws_b, captain, "moderator")
    r = await http.delete(f"/api/bots/{bot_id}")
    assert r.status_code == 200, r.text
    assert (await http.get("/api/me", headers=bearer(created["bot_token"]["token"]))
            ).status_code == 401
    for ws in (ws_a, ws_b):
        listed = (await http.get(f"/api/workspaces/{ws}/bots")).json()["bots"]
        assert bot_id not in [b["bot"]["id"] for b in listed]


async def test_setup_nonce_replays_return_the_same_rows_with_a_fresh_secret(http):
    ws_id, _ = await bootstrap_ids(http)
    body = {"display_name": "Installer", "handle": "installer", "scopes": ["bot:read"],
            "setup_nonce": "setup-0123456789abcdef"}
    first = await create_bot(http, ws_id, **body)
    again = await create_bot(http, ws_id, **body)
    assert again["bot"] == first["bot"]
    assert again["bot_token"]["id"] == first["bot_token"]["id"]
    old, new = first["bot_token"]["token"], again["bot_token"]["token"]
    assert new != old and new.startswith("ccb_")
    assert (await http.get("/api/me", headers=bearer(old))).status_code == 401
    assert (await http.get("/api/me", headers=bearer(new))).status_code == 200
    listed = (await http.get(f"/api/workspaces/{ws_id}/bots")).json()["bots"]
    assert [b["bot"]["display_name"] for b in listed].count("Installer") == 1

    r = await http.post(f"/api/workspaces/{ws_id}/bots", json={**body, "scopes": ["bot:write"]})
    assert r.status_code == 409 and r.json()["code"] == "setup_nonce_conflict"

    # The nonce is per creator: someone else may use the same string.
    member = await sign_up(http, "member@example.com", "Member")
    await add_member(http, ws_id, member.user_id, "member")
    mine = await create_bot(http, ws_id, headers=member.headers, display_name="Installer",
                            owner_user_id=member.user_id, setup_nonce=body["setup_nonce"])
    assert mine["bot"]["id"] != first["bot"]["id"]

    # Token creation replays the same way, in the same nonce space.
    url = f"/api/workspaces/{ws_id}/bots/{first['bot']['id']}/tokens"
    token_body = {"name": "deploy", "setup_nonce": "token-0123456789abcdef"}
    t1 = (await http.post(url, json=token_body)).json()["bot_token"]
    r = await http.post(url, json=token_body)
    assert r.status_code == 201
    t2 = r.json()["bot_token"]
    assert t2["id"] == t1["id"] and t2["token"] != t1["token"]
    assert (await http.get("/api/me", headers=bearer(t1["token"]))).status_code == 401
    assert (await http.get("/api/me", headers=bearer(t2["token"]))).status_code == 200
    r = await http.post(url, json={**token_body, "name": "other"})
    assert r.status_code == 409
    r = await http.post(url, json={"setup_nonce": body["setup_nonce"]})
    assert r.status_code == 409
    tokens = (await http.get(url)).json()["bot_tokens"]
    assert [t["name"] for t in tokens].count("deploy") == 1

    # Once what the nonce made is revoked, a replay cannot resurrect it.
    await http.post(f"/api/bot-tokens/{t1['id']}/revoke")
    r = await http.post(url, json=token_body)
    assert r.status_code == 409


async def test_my_bots_and_legacy_token_routes(http):
    ws_id, _ = await bootstrap_ids(http)
    member = await sign_up(http, "member@example.com", "Member")
    await add_member(http, ws_id, member.user_id, "member")
    await create_bot(http, ws_id, display_name="Service")  # not the captain's own bot
    assert (await http.get("/api/me/bots")).json() == {"bots": []}
    own = await create_bot(http, ws_id, headers=member.headers, display_name="Own",
                           owner_user_id=member.user_id)
    bot_id = own["bot"]["id"]
    ws = (await http.get(f"/api/workspaces/{ws_id}")).json()["workspace"]

    mine = (await http.get("/api/me/bots", headers=member.headers)).json()["bots"]
    assert mine == [{"bot": own["bot"], "workspace": {"id": ws_id, "route_id": ws["route_id"],
                                                      "name": ws["name"]},
                     "active_token_count": 1}]

    r = await http.post(f"/api/bots/{bot_id}/tokens", json={"name": "legacy"},
                        headers=member.headers)
    assert r.status_code == 201 and r.json()["bot_token"]["token"].startswith("ccb_")
    legacy = (await http.get(f"/api/bots/{bot_id}/tokens", headers=member.headers)).json()
    scoped = (await http.get(f"/api/workspaces/{ws_id}/bots/{bot_id}/tokens")).json()
    assert legacy == scoped and [t["name"] for t in legacy["bot_tokens"]] == ["legacy", "default"]
    mine = (await http.get("/api/me/bots", headers=member.headers)).json()["bots"]
    assert mine[0]["active_token_count"] == 2
    assert (await http.get("/api/bots/usr_nope/tokens")).status_code == 404
    r = await http.get("/api/me/bots", headers=bearer(own["bot_token"]["token"]))
    assert r.status_code == 403 and r.json()["code"] == "human_only"


async def test_a_socket_opened_before_a_nonce_replay_is_closed(server, http):
    """A replay replaces the token row's secret: sockets opened with the old one close."""
    ws_id, general = await bootstrap_ids(http)
    body = {"display_name": "Retry", "scopes": ["bot:read"], "setup_nonce": "n" * 20}
    old = (await create_bot(http, ws_id, **body))["bot_token"]["token"]
    tail = await tail_cursor(http, ws_id, headers=bearer(old))
    async with open_socket(server, ws_id, tail, old) as ws:
        await sync(http, ws, general)
        await create_bot(http, ws_id, **body)
        with trio.fail_after(3):
            code, _ = await close_code(ws)
    assert code == 1008
