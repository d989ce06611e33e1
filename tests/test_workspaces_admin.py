"""Workspace administration (contract 5 with D2): PATCH, DELETE (everything cascades) and
ownership transfer; 404 for non-members, 403 for members lacking the role; events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from clickclack.store import migrate
from clickclack.store.connection import open_read, open_write
from tests.conftest import bootstrap_ids, sign_up, tail_cursor
from tests.helpers import add_member, run_tx


async def new_workspace(http, name="Rocket", slug=""):
    r = await http.post("/api/workspaces", json={"name": name, "slug": slug})
    assert r.status_code == 201, r.text
    return r.json()["workspace"]


async def events_of(http, ws_id, **kw):
    r = await http.get("/api/realtime/events", params={"workspace_id": ws_id, "limit": 500},
                       **kw)
    assert r.status_code == 200, r.text
    return r.json()["events"]


def insert_bot(tx, bot_id, workspace_id):
    tx.execute("INSERT INTO users (id, kind, display_name, handle, created_at)"
               " VALUES (?, 'bot', 'Robo', ?, ?)", (bot_id, bot_id[-8:], tx.now))
    tx.execute("INSERT INTO workspace_members (workspace_id, user_id, role, created_at)"
               " VALUES (?, ?, 'bot', ?)", (workspace_id, bot_id, tx.now))


# --- PATCH ---------------------------------------------------------------------------------------

async def test_patch_renames_reslugs_and_emits_workspace_updated(http):
    ws = await new_workspace(http)
    before = await tail_cursor(http, ws["id"])
    r = await http.patch(f"/api/workspaces/{ws['id']}",
                         json={"name": "  Launch Crew ", "slug": "Launch  Crew!!"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["workspace"]["name"] == "Launch Crew"
    assert body["workspace"]["slug"] == "launch-crew"
    assert body["workspace"]["role"] == "owner"
    assert body["workspace"]["route_id"] == ws["route_id"]  # route ids never change
    event = body["event"]
    assert event["type"] == "workspace.updated"
    assert event["payload"] == {"workspace_id": ws["id"]}
    assert "channel_id" not in event
    logged = [e for e in await events_of(http, ws["id"]) if e["cursor"] > before]
    assert logged == [event]
    got = (await http.get(f"/api/workspaces/{ws['id']}")).json()["workspace"]
    assert (got["name"], got["slug"]) == ("Launch Crew", "launch-crew")
    # one field at a time; the others stay
    r = await http.patch(f"/api/workspaces/{ws['id']}", json={"name": "Crew"})
    assert r.json()["workspace"]["slug"] == "launch-crew"
    r = await http.patch(f"/api/workspaces/{ws['id']}", json={"icon_url": ""})
    assert r.status_code == 200 and r.json()["workspace"]["icon_url"] == ""


async def test_patch_validation(http):
    ws = await new_workspace(http)
    await new_workspace(http, "Other", "taken")
    url = f"/api/workspaces/{ws['id']}"

    async def code(body):
        r = await http.patch(url, json=body)
        return r.status_code, r.json()["code"]

    assert await code({}) == (400, "empty_patch")
    assert await code({"name": None, "slug": None}) == (400, "empty_patch")
    assert await code({"name": "   "}) == (400, "name_required")
    assert await code({"name": "x" * 81}) == (400, "name_too_long")
    assert await code({"name": "é" * 80 + " "}) == (400, "name_too_long")  # before trimming
    assert await code({"slug": "!!!"}) == (400, "slug_required")
    assert await code({"slug": "a" * 65}) == (400, "slug_too_long")
    # reserved: a conflict with ClickClack's own names, like a taken slug (issue 9)
    assert await code({"slug": "guests"}) == (409, "slug_reserved")
    assert await code({"slug": "ClickClack"}) == (409, "slug_reserved")
    assert await code({"slug": "Taken"}) == (409, "slug_taken")
    assert await code({"icon_url": "/api/uploads/upl_01jv0000000000000000000000"}) == (
        400, "icon_url_invalid")  # no uploads yet: only "" is accepted
    assert await code({"icon_url": "https://example.com/x.png"}) == (400, "icon_url_invalid")
    r = await http.patch(url, json={"name": 5})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    # nothing above changed the workspace, and nothing was logged
    got = (await http.get(url)).json()["workspace"]
    assert (got["name"], got["slug"]) == ("Rocket", "rocket")
    assert not [e for e in await events_of(http, ws["id"]) if e["type"] == "workspace.updated"]
    # re-sending the current slug is fine, and so is keeping a reserved one
    assert (await http.patch(url, json={"slug": "rocket"})).status_code == 200
    boot, _ = await bootstrap_ids(http)
    r = await http.patch(f"/api/workspaces/{boot}", json={"slug": "clickclack", "name": "CC"})
    assert r.status_code == 200, r.text



async def test_names_count_characters_and_derived_slugs_fit(http):
    """Names are at most 80 characters (code points, as the description's maxLength counts
    them; issue 9), not 80 UTF-8 bytes; a slug derived from a long name is cut to 64."""
    ws = await new_workspace(http, "é" * 80)
    assert ws["name"] == "é" * 80
    long_ascii = await new_workspace(http, "a" * 70)  # used to be 400 slug_too_long
    assert long_ascii["slug"] == "a" * 64
    r = await http.patch(f"/api/workspaces/{ws['id']}", json={"name": "ü" * 80})
    assert r.status_code == 200 and r.json()["workspace"]["name"] == "ü" * 80
    r = await http.post(f"/api/workspaces/{ws['id']}/channels", json={"name": "ö" * 40 + "x" * 40})
    assert r.status_code == 201, r.text
    r = await http.post(f"/api/workspaces/{ws['id']}/channels", json={"name": "x" * 81})
    assert r.status_code == 400 and r.json()["code"] == "name_too_long"
    r = await http.post("/api/workspaces", json={"name": "Ops", "slug": "Guests"})
    assert r.status_code == 409 and r.json()["code"] == "slug_reserved"

async def test_patch_is_for_managers_and_invisible_to_outsiders(http):
    ws = await new_workspace(http)
    outsider = await sign_up(http, "out@example.com")
    member = await sign_up(http, "mem@example.com")
    moderator = await sign_up(http, "mod@example.com")
    guest = await sign_up(http, "guest@example.com")
    await add_member(http, ws["id"], member.user_id)
    await add_member(http, ws["id"], moderator.user_id, "moderator")
    await add_member(http, ws["id"], guest.user_id, "guest")
    url = f"/api/workspaces/{ws['id']}"

    r = await http.patch(url, json={"name": "X"}, headers=outsider.headers)
    assert (r.status_code, r.json()["code"]) == (404, "workspace_not_found")
    r404 = await http.patch("/api/workspaces/wsp_nope", json={"name": "X"},
                            headers=outsider.headers)
    assert r404.json()["detail"] == r.json()["detail"]  # indistinguishable from missing
    # an outsider's invalid body is still a 404, never a hint
    assert (await http.patch(url, json={}, headers=outsider.headers)).status_code == 404
    for who in (member, guest):
        r = await http.patch(url, json={"name": "X"}, headers=who.headers)
        assert (r.status_code, r.json()["code"]) == (403, "manager_required")
    r = await http.patch(url, json={"name": "By Mod"}, headers=moderator.headers)
    assert r.status_code == 200, r.text
    assert r.json()["workspace"]["role"] == "moderator"
    # the event is in the log the members read
    types = [e["type"] for e in await events_of(http, ws["id"], headers=member.headers)]
    assert "workspace.updated" in types


async def test_bot_tokens_cannot_administer(http, server):
    from clickclack.store.accounts import token_hash

    ws = await new_workspace(http)
    token = "ccb_" + "b" * 52

    def make_bot(tx):
        insert_bot(tx, "usr_01jvbot00000000000000000000", ws["id"])
        tx.execute("INSERT INTO bot_tokens (id, token_hash, bot_user_id, workspace_id,"
                   " scopes_json, created_at) VALUES ('btok_1', ?, ?, ?, ?, ?)",
                   (token_hash(token), "usr_01jvbot00000000000000000000", ws["id"],
                    '["workspaces:read"]', tx.now))

    run_tx(str(server.config.db_path), make_bot)
    bot = {"Authorization": f"Bearer {token}"}
    assert (await http.get(f"/api/workspaces/{ws['id']}", headers=bot)).status_code == 200
    for method, path, body in (
        ("PATCH", "", {"name": "x"}),
        ("DELETE", "", None),
        ("POST", "/transfer-ownership", {"user_id": "usr_x"}),
    ):
        r = await http.request(method, f"/api/workspaces/{ws['id']}{path}", json=body,
                               headers=bot)
        assert (r.status_code, r.json()["code"]) == (403, "human_only"), (method, path)


# --- DELETE --------------------------------------------------------------------------------------

def _count(conn: sqlite3.Connection, sql: str, *args: object) -> int:
    return int(conn.execute(sql, args).fetchone()[0])


async def test_delete_is_owner_only_and_cascades_everything(http, server):
    ws = await new_workspace(http, "Doomed")
    keep = await new_workspace(http, "Keeper")
    member = await sign_up(http, "m@example.com")
    moderator = await sign_up(http, "mod@example.com")
    outsider = await sign_up(http, "o@example.com")
    await add_member(http, ws["id"], member.user_id)
    await add_member(http, ws["id"], moderator.user_id, "moderator")
    chans = {}
    for w in (ws, keep):
        r = await http.post(f"/api/workspaces/{w['id']}/channels", json={"name": "plans"})
        chans[w["id"]] = r.json()["channel"]["id"]
        for i in range(3):
            r = await http.post(f"/api/channels/{chans[w['id']]}/messages",
                                json={"body": f"m{i}"})
            assert r.status_code == 201
    r = await http.post(f"/api/workspaces/{ws['id']}/invites", json={})
    assert r.status_code == 201
    url = f"/api/workspaces/{ws['id']}"

    r = await http.delete(url, headers=outsider.headers)
    assert (r.status_code, r.json()["code"]) == (404, "workspace_not_found")
    for who in (member, moderator):
        r = await http.delete(url, headers=who.headers)
        assert (r.status_code, r.json()["code"]) == (403, "owner_required")

    db = open_read(server.config.db_path)
    wid = ws["id"]
    assert _count(db, "SELECT COUNT(*) FROM events WHERE workspace_id = ?", wid) > 0
    r = await http.delete(url)
    assert r.status_code == 204 and r.content == b""

    assert (await http.get(url)).status_code == 404
    assert (await http.get(url, headers=member.headers)).status_code == 404
    assert (await http.get(f"/api/channels/{chans[wid]}/messages")).status_code == 404
    r = await http.get("/api/realtime/events", params={"workspace_id": wid})
    assert r.status_code == 404
    assert wid not in [w["id"] for w in (await http.get("/api/workspaces")).json()["workspaces"]]
    assert (await http.delete(url)).status_code == 404  # gone is gone
    for table in ("workspaces",):
        assert _count(db, f"SELECT COUNT(*) FROM {table} WHERE id = ?", wid) == 0
    for table in ("workspace_members", "channels", "messages", "events", "invites"):
        assert _count(db, f"SELECT COUNT(*) FROM {table} WHERE workspace_id = ?", wid) == 0, table
    assert _count(db, "SELECT COUNT(*) FROM channel_reads WHERE channel_id = ?", chans[wid]) == 0
    assert _count(db, "SELECT COUNT(*) FROM thread_state t WHERE NOT EXISTS"
                      " (SELECT 1 FROM messages m WHERE m.id = t.root_message_id)") == 0
    assert _count(db, "SELECT COUNT(*) FROM event_recipients r WHERE NOT EXISTS"
                      " (SELECT 1 FROM events e WHERE e.id = r.event_id)") == 0
    # the users themselves and the other workspace are untouched
    assert _count(db, "SELECT COUNT(*) FROM users WHERE id = ?", member.user_id) == 1
    assert _count(db, "SELECT COUNT(*) FROM messages WHERE workspace_id = ?", keep["id"]) == 3
    r = await http.get(f"/api/channels/{chans[keep['id']]}/messages")
    assert [m["body"] for m in r.json()["messages"]] == ["m0", "m1", "m2"]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()


async def test_delete_closes_the_workspace_sockets(server, http):
    ws = await new_workspace(http)
    tail = await tail_cursor(http, ws["id"])
    path = f"/api/realtime/ws?workspace_id={ws['id']}&after_cursor={tail}"
    async with open_websocket_url(server.ws_url + path) as sock:
        assert (await http.delete(f"/api/workspaces/{ws['id']}")).status_code == 204
        with trio.fail_after(5), pytest.raises(ConnectionClosed) as info:
            await sock.get_message()
    assert info.value.reason.code == 1008


def test_every_key_a_workspace_delete_cascades_through_is_indexed(tmp_path: Path):
    """Deleting a workspace deletes its channels, messages, events ... row by row through
    ON DELETE CASCADE / SET NULL.  For each deleted parent row SQLite looks up the child rows;
    without an index on the child key that is a full scan of the child table *per deleted row*
    (measured: 65 s to delete a workspace of 20k messages with one such key missing).  So every
    such key must lead an index (the workspace row itself is one row: one scan is fine)."""
    conn = open_write(tmp_path / "db.sqlite")
    migrate.apply(conn)
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    fks: list[tuple[str, str, list[str], str]] = []
    for t in tables:
        groups: dict[int, list[sqlite3.Row]] = {}
        for r in conn.execute("SELECT * FROM pragma_foreign_key_list(?)", (t,)):
            groups.setdefault(r["id"], []).append(r)
        for g in groups.values():
            cols = [r["from"] for r in sorted(g, key=lambda r: r["seq"])]
            fks.append((t, g[0]["table"], cols, g[0]["on_delete"]))
    deleted = {"workspaces"}
    grew = True
    while grew:
        grew = False
        for child, parent, _, action in fks:
            if parent in deleted and action == "CASCADE" and child not in deleted:
                deleted.add(child)
                grew = True

    def leads_an_index(table: str, cols: list[str]) -> bool:
        for ix in conn.execute("SELECT name FROM pragma_index_list(?)", (table,)):
            icols = [r["name"] for r in conn.execute(
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (ix[0],))]
            if icols[:len(cols)] == cols:
                return True
        return False

    missing = [f"{child}({', '.join(cols)}) -> {parent} ON DELETE {action}"
               for child, parent, cols, action in fks
               if parent in deleted and parent != "workspaces"
               and not leads_an_index(child, cols)]
    assert {"messages", "events", "channels", "invites"} <= deleted
    assert missing == []


# --- transfer ownership --------------------------------------------------------------------------

async def test_transfer_ownership_rules_and_event(http, server):
    ws = await new_workspace(http)
    wid = ws["id"]
    me = (await http.get("/api/me")).json()["user"]["id"]
    member = await sign_up(http, "m@example.com")
    moderator = await sign_up(http, "mod@example.com")
    guest = await sign_up(http, "g@example.com")
    outsider = await sign_up(http, "o@example.com")
    await add_member(http, wid, member.user_id)
    await add_member(http, wid, moderator.user_id, "moderator")
    await add_member(http, wid, guest.user_id, "guest")
    bot_id = "usr_01jvbot00000000000000000001"
    run_tx(str(server.config.db_path), insert_bot, bot_id, wid)
    url = f"/api/workspaces/{wid}/transfer-ownership"

    async def code(user_id, **kw):
        r = await http.post(url, json={"user_id": user_id}, **kw)
        return r.status_code, r.json().get("code")

    assert await code(member.user_id, headers=outsider.headers) == (404, "workspace_not_found")
    assert await code(member.user_id, headers=moderator.headers) == (403, "owner_required")
    assert await code(moderator.user_id, headers=member.headers) == (403, "owner_required")
    # the target's state (409) or absence (404), not a malformed request (issue 9, D2)
    assert await code(me) == (409, "transfer_target_self")
    assert await code(outsider.user_id) == (404, "transfer_target_not_member")
    assert await code("usr_nobody") == (404, "transfer_target_not_member")
    assert await code(guest.user_id) == (409, "transfer_target_role")
    assert await code(bot_id) == (409, "transfer_target_role")
    r = await http.post(url, json={})
    assert r.status_code == 400

    before = await tail_cursor(http, wid)
    r = await http.post(url, json={"user_id": member.user_id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["workspace"]["id"] == wid
    assert body["workspace"]["role"] == "moderator"  # the caller's new role
    assert body["event"]["type"] == "workspace.ownership_transferred"
    assert body["event"]["payload"] == {"workspace_id": wid, "new_owner_user_id": member.user_id}
    logged = [e for e in await events_of(http, wid, headers=moderator.headers)
              if e["cursor"] > before]
    assert logged == [body["event"]]

    async def role_of(person_headers=None):
        r = await http.get(f"/api/workspaces/{wid}", headers=person_headers or {})
        return r.json()["workspace"]["role"]

    assert await role_of(member.headers) == "owner"
    assert await role_of() == "moderator"
    # exactly one owner
    db = open_read(server.config.db_path)
    assert [r[0] for r in db.execute("SELECT user_id FROM workspace_members"
                                     " WHERE workspace_id = ? AND role = 'owner'", (wid,))
            ] == [member.user_id]
    db.close()
    # the former owner has lost the owner's powers but kept a manager's
    assert (await http.delete(f"/api/workspaces/{wid}")).json()["code"] == "owner_required"
    assert await code(member.user_id) == (403, "owner_required")
    assert (await http.patch(f"/api/workspaces/{wid}", json={"name": "Still Mod"})
            ).status_code == 200
    # the new owner may hand it on to a moderator, and delete it
    r = await http.post(url, json={"user_id": moderator.user_id}, headers=member.headers)
    assert r.status_code == 200, r.text
    assert await role_of(moderator.headers) == "owner"
    assert await role_of(member.headers) == "moderator"
    assert (await http.delete(f"/api/workspaces/{wid}", headers=moderator.headers)
            ).status_code == 204


async def test_blocked_or_timed_out_managers_cannot_administer(http, server):
    ws = await new_workspace(http)
    blocked = await sign_up(http, "blocked@example.com")
    timed = await sign_up(http, "timed@example.com")
    await add_member(http, ws["id"], blocked.user_id, "moderator")
    await add_member(http, ws["id"], timed.user_id, "moderator")

    def restrict(tx):
        tx.execute("INSERT INTO workspace_member_moderation (workspace_id, user_id, blocked_at)"
                   " VALUES (?, ?, ?)", (ws["id"], blocked.user_id, tx.now))
        tx.execute("INSERT INTO workspace_member_moderation (workspace_id, user_id,"
                   " timeout_until) VALUES (?, ?, '9999-01-01T00:00:00.000000000Z')",
                   (ws["id"], timed.user_id))

    run_tx(str(server.config.db_path), restrict)
    for who in (blocked, timed):
        r = await http.patch(f"/api/workspaces/{ws['id']}", json={"name": "x"},
                             headers=who.headers)
        assert (r.status_code, r.json()["code"]) == (403, "moderation_restriction")
        r = await http.post(f"/api/workspaces/{ws['id']}/invites", json={},
                            headers=who.headers)
        assert (r.status_code, r.json()["code"]) == (403, "moderation_restriction")
        # reading is still allowed
        r = await http.get(f"/api/workspaces/{ws['id']}/members", headers=who.headers)
        assert r.status_code == 200
