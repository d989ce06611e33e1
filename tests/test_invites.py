"""Invites over HTTP (Part A D5): managers create, list and revoke; anyone may preview a token;
accepting joins as member, once per use, atomically; every unusable token is the same 404."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import trio

from clickclack.store.connection import open_read
from tests.conftest import bootstrap_ids, sign_up
from tests.helpers import add_member, run_tx

SAME_CORRELATION = {"X-Correlation-ID": "test-uniform-404"}


async def new_workspace(http, name="Invitees"):
    r = await http.post("/api/workspaces", json={"name": name})
    assert r.status_code == 201, r.text
    return r.json()["workspace"]


async def create_invite(http, ws_id, expect=201, headers=None, **body):
    r = await http.post(f"/api/workspaces/{ws_id}/invites", json=body, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


def set_column(server, invite_id, column, value):
    def apply(tx):
        tx.execute(f"UPDATE invites SET {column} = ? WHERE id = ?", (value, invite_id))

    run_tx(str(server.config.db_path), apply)


def parse_ts(text: str) -> float:
    return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()


async def test_invite_end_to_end(http, server):
    ws = await new_workspace(http)
    me = (await http.get("/api/me")).json()["user"]["id"]
    created = await create_invite(http, ws["id"])
    token, invite = created["token"], created["invite"]
    assert token.startswith("cci_") and len(token) == 56
    assert invite["id"].startswith("inv_") and len(invite["id"]) == 30
    assert (invite["workspace_id"], invite["role"], invite["uses"], invite["max_uses"]) == (
        ws["id"], "member", 0, 1)
    assert invite["created_by"] == me
    lifetime = parse_ts(invite["expires_at"]) - parse_ts(invite["created_at"])
    assert abs(lifetime - 168 * 3600) <= 2
    assert "token" not in invite and "token_hash" not in invite

    # only the digest is stored
    db = open_read(server.config.db_path)
    row = db.execute("SELECT * FROM invites WHERE id = ?", (invite["id"],)).fetchone()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in [str(v) for v in tuple(row)]
    db.close()

    ada = await sign_up(http, "ada@example.com", "Ada")
    # preview is public (auth="public": no credentials are looked at)
    r = await http.get(f"/api/invites/{token}")
    assert r.status_code == 200, r.text
    preview = r.json()["invite"]
    assert preview["id"] == invite["id"]
    assert preview["workspace"] == {"id": ws["id"], "name": ws["name"], "slug": ws["slug"],
                                    "route_id": ws["route_id"], "icon_url": ""}
    assert (preview["uses"], preview["max_uses"], preview["expires_at"]) == (
        0, 1, invite["expires_at"])
    assert "created_by" not in preview

    # not a member yet
    r = await http.get(f"/api/workspaces/{ws['id']}/channels", headers=ada.headers)
    assert r.status_code == 404
    r = await http.post(f"/api/invites/{token}/accept", headers=ada.headers)
    assert r.status_code == 200, r.text
    joined = r.json()["workspace"]
    assert (joined["id"], joined["role"]) == (ws["id"], "member")
    # now a member: reads channels, posts, shows up in the directory as a member
    chans = (await http.get(f"/api/workspaces/{ws['id']}/channels", headers=ada.headers)
             ).json()["channels"]
    general = next(c["id"] for c in chans if c["name"] == "general")
    r = await http.post(f"/api/channels/{general}/messages", json={"body": "hi"},
                        headers=ada.headers)
    assert r.status_code == 201, r.text
    page = (await http.get(f"/api/workspaces/{ws['id']}/members", params={"role": "member"})
            ).json()
    assert [m["user"]["id"] for m in page["members"]] == [ada.user_id]
    assert page["members"][0]["user"]["display_name"] == "Ada"

    # the single use is spent
    assert (await http.get(f"/api/invites/{token}")).status_code == 404
    bob = await sign_up(http, "bob@example.com")
    r = await http.post(f"/api/invites/{token}/accept", headers=bob.headers)
    assert (r.status_code, r.json()["code"]) == (404, "invite_not_found")
    # an unusable token is a 404 for everyone, members included (validity is checked first)
    r = await http.post(f"/api/invites/{token}/accept", headers=ada.headers)
    assert r.status_code == 404


async def test_already_a_member_gets_the_workspace_and_consumes_nothing(http):
    ws = await new_workspace(http)
    created = await create_invite(http, ws["id"], max_uses=2)
    token = created["token"]
    member = await sign_up(http, "m@example.com")
    await add_member(http, ws["id"], member.user_id, "moderator")
    for who in ({}, member.headers):  # the owner (dev user) and an existing moderator
        r = await http.post(f"/api/invites/{token}/accept", headers=who)
        assert r.status_code == 200, r.text
        assert r.json()["workspace"]["id"] == ws["id"]
    r = await http.get(f"/api/workspaces/{ws['id']}", headers=member.headers)
    assert r.json()["workspace"]["role"] == "moderator"  # never downgraded to member
    assert (await http.get(f"/api/invites/{token}")).json()["invite"]["uses"] == 0
    # it still admits two new people
    for i in range(2):
        p = await sign_up(http, f"p{i}@example.com")
        r = await http.post(f"/api/invites/{token}/accept", headers=p.headers)
        assert r.status_code == 200
    assert (await http.get(f"/api/invites/{token}")).status_code == 404


async def test_unusable_tokens_all_get_the_same_404(http, server):
    ws = await new_workspace(http)
    expired = await create_invite(http, ws["id"])
    used_up = await create_invite(http, ws["id"])
    revoked = await create_invite(http, ws["id"])
    set_column(server, expired["invite"]["id"], "expires_at", "2020-01-01T00:00:00.000000000Z")
    p = await sign_up(http, "first@example.com")
    assert (await http.post(f"/api/invites/{used_up['token']}/accept", headers=p.headers)
            ).status_code == 200
    r = await http.delete(f"/api/workspaces/{ws['id']}/invites/{revoked['invite']['id']}")
    assert r.status_code == 204
    unknown = "cci_" + "0" * 52
    tokens = [expired["token"], used_up["token"], revoked["token"], unknown, "garbage",
              "cci_", "mgt_" + "0" * 52, "x" * 64]
    late = await sign_up(http, "late@example.com")
    bodies = set()
    for token in tokens:
        r = await http.get(f"/api/invites/{token}", headers=SAME_CORRELATION)
        assert r.status_code == 404, token
        bodies.add(r.text)
        r = await http.post(f"/api/invites/{token}/accept",
                            headers={**late.headers, **SAME_CORRELATION})
        assert r.status_code == 404, token
        bodies.add(r.text)
    assert len(bodies) == 1, bodies
    assert '"code":"invite_not_found"' in bodies.pop()
    # none of that made the late user a member
    r = await http.get(f"/api/workspaces/{ws['id']}", headers=late.headers)
    assert r.status_code == 404


async def test_expiry_is_checked_at_accept_time(http, server):
    ws = await new_workspace(http)
    created = await create_invite(http, ws["id"], expires_in_hours=1)
    lifetime = parse_ts(created["invite"]["expires_at"]) - parse_ts(
        created["invite"]["created_at"])
    assert abs(lifetime - 3600) <= 2
    assert (await http.get(f"/api/invites/{created['token']}")).status_code == 200
    set_column(server, created["invite"]["id"], "expires_at", "2000-01-01T00:00:00.000000000Z")
    p = await sign_up(http, "p@example.com")
    assert (await http.post(f"/api/invites/{created['token']}/accept", headers=p.headers)
            ).status_code == 404


async def test_concurrent_accepts_of_a_single_use_invite_admit_exactly_one(http, server):
    ws = await new_workspace(http)
    people = [await sign_up(http, f"race{i}@example.com") for i in range(12)]
    for max_uses in (1, 3):
        token = (await create_invite(http, ws["id"], max_uses=max_uses))["token"]
        results: dict[str, int] = {}
        start = trio.Event()

        async def accept(person, token=token, results=results, start=start):
            await start.wait()
            r = await http.post(f"/api/invites/{token}/accept", headers=person.headers)
            results[person.user_id] = r.status_code

        candidates = [p for p in people if not await is_member(http, ws["id"], p)]
        with trio.fail_after(30):
            async with trio.open_nursery() as n:
                for person in candidates:
                    n.start_soon(accept, person)
                start.set()
        winners = [uid for uid, status in results.items() if status == 200]
        assert len(winners) == max_uses, results
        assert sorted(results.values()) == [200] * max_uses + [404] * (
            len(candidates) - max_uses)
        for person in candidates:
            assert await is_member(http, ws["id"], person) == (person.user_id in winners)
        db = open_read(server.config.db_path)
        uses = db.execute("SELECT uses, max_uses FROM invites WHERE token_hash = ?",
                          (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
        assert tuple(uses) == (max_uses, max_uses)
        db.close()


async def is_member(http, ws_id, person) -> bool:
    r = await http.get(f"/api/workspaces/{ws_id}", headers=person.headers)
    return r.status_code == 200


async def test_who_may_create_invites(http, server):
    ws = await new_workspace(http)
    member = await sign_up(http, "m@example.com")
    moderator = await sign_up(http, "mod@example.com")
    guest = await sign_up(http, "g@example.com")
    outsider = await sign_up(http, "o@example.com")
    await add_member(http, ws["id"], member.user_id)
    await add_member(http, ws["id"], moderator.user_id, "moderator")
    await add_member(http, ws["id"], guest.user_id, "guest")
    r = await http.post(f"/api/workspaces/{ws['id']}/invites", json={},
                        headers=outsider.headers)
    assert (r.status_code, r.json()["code"]) == (404, "workspace_not_found")
    for who in (member, guest):
        r = await http.post(f"/api/workspaces/{ws['id']}/invites", json={}, headers=who.headers)
        assert (r.status_code, r.json()["code"]) == (403, "manager_required")
        r = await http.get(f"/api/workspaces/{ws['id']}/invites", headers=who.headers)
        assert r.status_code == 403
    made = await create_invite(http, ws["id"], headers=moderator.headers)
    assert made["invite"]["created_by"] == moderator.user_id
    r = await http.post("/api/workspaces/wsp_missing/invites", json={})
    assert r.status_code == 404


async def test_invite_options_are_validated(http):
    ws = await new_workspace(http)
    for body in ({"expires_in_hours": 0}, {"expires_in_hours": 721}, {"max_uses": 0},
                 {"max_uses": 1001}, {"max_uses": "2"}, {"expires_in_hours": 1.5}):
        r = await http.post(f"/api/workspaces/{ws['id']}/invites", json=body)
        assert (r.status_code, r.json()["code"]) == (400, "validation_failed"), body
    ok = await create_invite(http, ws["id"], expires_in_hours=720, max_uses=1000)
    assert ok["invite"]["max_uses"] == 1000
    # a body is required to be JSON, but may be empty of fields
    r = await http.post(f"/api/workspaces/{ws['id']}/invites", content=b"{}",
                        headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


async def test_list_and_revoke(http):
    ws = await new_workspace(http)
    a = await create_invite(http, ws["id"], max_uses=5)
    b = await create_invite(http, ws["id"])
    url = f"/api/workspaces/{ws['id']}/invites"
    listed = (await http.get(url)).json()["invites"]
    assert [i["id"] for i in listed] == [b["invite"]["id"], a["invite"]["id"]]  # newest first
    assert all("token" not in i for i in listed)
    assert listed[1] == a["invite"]
    member = await sign_up(http, "m@example.com")
    await add_member(http, ws["id"], member.user_id)
    r = await http.delete(f"{url}/{a['invite']['id']}", headers=member.headers)
    assert (r.status_code, r.json()["code"]) == (403, "manager_required")
    r = await http.delete(f"{url}/{a['invite']['id']}")
    assert r.status_code == 204 and r.content == b""
    assert [i["id"] for i in (await http.get(url)).json()["invites"]] == [b["invite"]["id"]]
    assert (await http.get(f"/api/invites/{a['token']}")).status_code == 404
    assert (await http.delete(f"{url}/{a['invite']['id']}")).status_code == 404
    assert (await http.delete(f"{url}/inv_nope")).status_code == 404
    # an invite id of another workspace cannot be revoked through this one
    other = await new_workspace(http, "Other")
    r = await http.delete(f"/api/workspaces/{other['id']}/invites/{b['invite']['id']}")
    assert r.status_code == 404
    assert (await http.get(f"/api/invites/{b['token']}")).status_code == 200


async def test_deleting_the_workspace_kills_its_invites(http):
    ws = await new_workspace(http)
    created = await create_invite(http, ws["id"], max_uses=10)
    assert (await http.delete(f"/api/workspaces/{ws['id']}")).status_code == 204
    assert (await http.get(f"/api/invites/{created['token']}")).status_code == 404
    p = await sign_up(http, "p@example.com")
    r = await http.post(f"/api/invites/{created['token']}/accept", headers=p.headers)
    assert r.status_code == 404


async def test_accept_needs_a_person(http, server):
    ws_id, _ = await bootstrap_ids(http)
    token = (await create_invite(http, ws_id))["token"]
    r = await http.post(f"/api/invites/{token}/accept",
                        headers={"Authorization": "Bearer sst_not-a-session"})
    assert r.status_code == 401
    from clickclack.store.accounts import token_hash

    bot_token = "ccb_" + "q" * 52

    def make_bot(tx):
        tx.execute("INSERT INTO users (id, kind, display_name, created_at)"
                   " VALUES ('usr_01jvinvitebot000000000000000', 'bot', 'B', ?)", (tx.now,))
        tx.execute("INSERT INTO workspace_members (workspace_id, user_id, role, created_at)"
                   " VALUES (?, 'usr_01jvinvitebot000000000000000', 'bot', ?)",
                   (ws_id, tx.now))
        tx.execute("INSERT INTO bot_tokens (id, token_hash, bot_user_id, workspace_id,"
                   " scopes_json, created_at) VALUES ('btok_inv', ?,"
                   " 'usr_01jvinvitebot000000000000000', ?, '[\"workspaces:read\"]', ?)",
                   (token_hash(bot_token), ws_id, tx.now))

    run_tx(str(server.config.db_path), make_bot)
    bot = {"Authorization": f"Bearer {bot_token}"}
    r = await http.post(f"/api/invites/{token}/accept", headers=bot)
    assert (r.status_code, r.json()["code"]) == (403, "human_only")
    r = await http.post(f"/api/workspaces/{ws_id}/invites", json={}, headers=bot)
    assert (r.status_code, r.json()["code"]) == (403, "human_only")
    assert (await http.get(f"/api/invites/{token}")).json()["invite"]["uses"] == 0
