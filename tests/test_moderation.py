"""Moderation and roles end to end (contract 6): the roster, the patch rules, the private
member.moderation_updated event, timeouts and blocks stopping writes, and guests who see and
post only in #guest with a budget of 3 posts a day."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass

import trio

from tests.conftest import Person, bootstrap_ids, sign_up, tail_cursor
from tests.helpers import (
    add_member,
    close_code,
    create_bot,
    events_until,
    open_socket,
    run_sql,
)


@dataclass
class Crew:
    ws: str
    general: str
    captain: str  # the owner; the dev user (no headers)
    mod: Person
    mod2: Person
    member: Person
    target: Person
    stranger: Person

    def url(self, user_id: str | None = None) -> str:
        base = f"/api/workspaces/{self.ws}/moderation/members"
        return f"{base}/{user_id}" if user_id else base


async def make_crew(http) -> Crew:
    ws_id, general = await bootstrap_ids(http)
    people = {}
    for key, name, role in [("mod", "Mia Mod", "moderator"), ("mod2", "Otto Mod", "moderator"),
                            ("member", "Bea Member", "member"),
                            ("target", "Tom Target", "member"), ("stranger", "Sam", None)]:
        people[key] = await sign_up(http, f"{key}@example.com", name)
        if role:
            await add_member(http, ws_id, people[key].user_id, role)
    captain = (await http.get("/api/me")).json()["user"]["id"]
    return Crew(ws_id, general, captain, **people)


async def patch(http, crew: Crew, user_id: str, body: dict, headers=None):
    return await http.patch(crew.url(user_id), json=body, headers=headers)


async def post(http, channel: str, body: str = "hi", headers=None):
    return await http.post(f"/api/channels/{channel}/messages", json={"body": body},
                           headers=headers)


async def test_the_roster_is_for_active_managers_in_role_then_name_order(http):
    crew = await make_crew(http)
    guest = await sign_up(http, "guest@example.com", "aaron guest")
    await add_member(http, crew.ws, guest.user_id, "guest")
    r = await http.get(crew.url())
    assert r.status_code == 200, r.text
    members = r.json()["members"]
    names = [(m["role"], m["user"]["display_name"]) for m in members]
    assert names[:5] == [("owner", "Local Captain"), ("moderator", "Mia Mod"),
                         ("moderator", "Otto Mod"), ("member", "Bea Member"),
                         ("member", "Tom Target")]
    assert names[5:] == [("guest", "aaron guest")]
    by_id = {m["user"]["id"]: m for m in members}
    assert by_id[guest.user_id]["post_limit"] == 3
    assert by_id[guest.user_id]["posts_remaining"] == 3
    assert by_id[crew.member.user_id]["post_limit"] == 0
    assert by_id[crew.member.user_id]["posts_remaining"] == 0
    assert all(m["workspace_id"] == crew.ws for m in members)
    assert "blocked_at" not in by_id[crew.member.user_id]  # optional fields are left out

    assert (await http.get(crew.url(), headers=crew.mod.headers)).status_code == 200
    r = await http.get(crew.url(), headers=crew.member.headers)
    assert r.status_code == 403 and r.json()["code"] == "workspace_manager_required"
    assert (await http.get(crew.url(), headers=crew.stranger.headers)).status_code == 404
    # A blocked or timed-out moderator loses the roster.
    assert (await patch(http, crew, crew.mod2.user_id, {"blocked": True})).status_code == 200
    r = await http.get(crew.url(), headers=crew.mod2.headers)
    assert r.status_code == 403 and r.json()["code"] == "moderation_restriction"
    assert (await patch(http, crew, crew.mod2.user_id,
                        {"blocked": False, "timeout_minutes": 5})).status_code == 200
    r = await http.get(crew.url(), headers=crew.mod2.headers)
    assert r.status_code == 403 and r.json()["code"] == "moderation_restriction"


async def test_patch_rules(http):
    crew = await make_crew(http)
    bot = (await create_bot(http, crew.ws, display_name="Bot"))["bot"]

    async def refused(actor_headers, user_id, body, status, code):
        r = await patch(http, crew, user_id, body, actor_headers)
        assert r.status_code == status, (body, r.text)
        assert r.json()["code"] == code, r.text

    mod = crew.mod.headers
    # who may moderate whom is a permission: 403 (issue 9, D2), not a malformed request
    await refused(mod, crew.mod.user_id, {"moderation_note": "me"}, 403, "cannot_moderate_self")
    await refused(None, crew.captain, {"moderation_note": "me"}, 403, "cannot_moderate_self")
    await refused(mod, crew.captain, {"blocked": True}, 403, "cannot_moderate_owner")
    await refused(mod, crew.mod2.user_id, {"blocked": True}, 403, "target_rank_not_below")
    await refused(mod, bot["id"], {"blocked": True}, 403, "target_rank_not_below")
    await refused(mod, crew.target.user_id, {"role": "moderator"}, 403, "role_rank_not_below")
    await refused(None, crew.target.user_id, {"role": "owner"}, 400, "role_not_assignable")
    await refused(None, crew.target.user_id, {"role": "admin"}, 400, "invalid_role")
    await refused(None, crew.target.user_id, {"role": "bot"}, 400, "invalid_role")
    await refused(None, bot["id"], {"role": "member"}, 409, "bot_role_fixed")  # its state
    await refused(None, crew.target.user_id, {}, 400, "empty_patch")
    await refused(None, crew.target.user_id, {"timeout_until": "tomorrow"}, 400,
                  "invalid_timeout")
    await refused(None, crew.target.user_id, {"timeout_until": "2099-01-01T00:00:00"}, 400,
                  "invalid_timeout")
    # exactly RFC 3339 (the description's format: date-time), not all that fromisoformat takes
    await refused(None, crew.target.user_id, {"timeout_until": "2099-01-01 00:00:00Z"}, 400,
                  "invalid_timeout")
    await refused(None, crew.target.user_id, {"timeout_until": "2099-01-01T00:00Z"}, 400,
                  "invalid_timeout")
    await refused(None, crew.target.user_id,
                  {"moderation_note": "  " + "n" * 999}, 400, "moderation_note_too_long")
    await refused(None, crew.target.user_id, {"moderation_note": "n" * 1001}, 400,
                  "moderation_note_too_long")
    await refused(crew.member.headers, crew.target.user_id, {"blocked": True}, 403,
                  "workspace_manager_required")
    await refused(None, crew.stranger.user_id, {"blocked": True}, 404, "member_not_found")
    r = await patch(http, crew, crew.target.user_id, {"blocked": True}, crew.stranger.headers)
    assert r.status_code == 404
    r = await patch(http, crew, crew.target.user_id, {"timeout_minutes": -1})
    assert r.status_code == 400

    # The owner may promote to moderator; a moderator may demote members to guests.
    r = await patch(http, crew, crew.member.user_id, {"role": "moderator"})
    assert r.status_code == 200 and r.json()["member"]["role"] == "moderator"
    r = await patch(http, crew, crew.target.user_id, {"role": "guest"}, mod)
    assert r.status_code == 200 and r.json()["member"]["role"] == "guest"
    # The owner may moderate a bot (not change its role).
    r = await patch(http, crew, bot["id"], {"timeout_minutes": 1})
    assert r.status_code == 200


async def test_patch_takes_what_its_description_allows(http):
    """Issue 9: what the description declares valid is accepted -- a role in any case with
    blanks around it, RFC 3339 with a lower-case t/z or an offset that leaves year 1 in UTC
    (clamped: in the past), and an integral float for an integer field."""
    crew = await make_crew(http)
    uid = crew.target.user_id
    for body in ({"role": " Guest\n"}, {"timeout_until": "2099-01-01t00:00:00z"},
                 {"timeout_until": "0001-01-01T00:00:00+01:00"}, {"timeout_minutes": 5.0},
                 {"timeout_minutes": 3e1}):
        r = await patch(http, crew, uid, body)
        assert r.status_code == 200, (body, r.text)
    r = await patch(http, crew, uid, {"timeout_minutes": 1.5})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    r = await patch(http, crew, uid, {"timeout_minutes": "5"})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"


async def test_patch_fields_and_the_response(http):
    crew = await make_crew(http)
    uid = crew.target.user_id
    before = time.time()
    r = await patch(http, crew, uid, {"timeout_minutes": 30, "moderation_note": " spam "},
                    crew.mod.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    member, event = body["member"], body["event"]
    assert member["user"]["id"] == uid and member["role"] == "member"
    assert member["moderation_note"] == "spam" and member["moderation_by"] == crew.mod.user_id
    assert member["moderation_at"]
    until = calendar.timegm(time.strptime(member["timeout_until"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert before + 29 * 60 < until < time.time() + 31 * 60
    assert event["type"] == "member.moderation_updated" and event["cursor"].startswith("cur_")
    assert event["payload"] == {"user_id": uid, "role": "member"}
    assert "channel_id" not in event

    r = await patch(http, crew, uid, {"timeout_until": "2099-01-01T01:00:00+01:00"})
    assert r.json()["member"]["timeout_until"] == "2099-01-01T00:00:00.000000000Z"
    assert r.json()["member"]["moderation_note"] == "spam"  # untouched
    r = await patch(http, crew, uid, {"clear_timeout": True, "blocked": True,
                                      "moderation_note": ""})
    member = r.json()["member"]
    assert "timeout_until" not in member and "moderation_note" not in member
    assert member["blocked_at"] and member["moderation_by"] == crew.captain
    r = await patch(http, crew, uid, {"blocked": False})
    assert "blocked_at" not in r.json()["member"]
    roster = (await http.get(crew.url())).json()["members"]
    (row,) = [m for m in roster if m["user"]["id"] == uid]
    assert row == r.json()["member"]


async def test_the_update_event_reaches_only_the_target_and_active_managers(server, http):
    crew = await make_crew(http)
    assert (await patch(http, crew, crew.mod2.user_id, {"blocked": True})).status_code == 200
    audience = {"captain": None, "mod": crew.mod, "target": crew.target,
                "member": crew.member, "mod2": crew.mod2}
    async with open_socket(server, crew.ws, await tail_cursor(http, crew.ws)) as s_captain, \
            open_socket(server, crew.ws, await tail_cursor(http, crew.ws,
                                                           headers=crew.mod.headers),
                        crew.mod.token) as s_mod, \
            open_socket(server, crew.ws, await tail_cursor(http, crew.ws,
                                                           headers=crew.target.headers),
                        crew.target.token) as s_target, \
            open_socket(server, crew.ws, await tail_cursor(http, crew.ws,
                                                           headers=crew.member.headers),
                        crew.member.token) as s_member, \
            open_socket(server, crew.ws, await tail_cursor(http, crew.ws,
                                                           headers=crew.mod2.headers),
                        crew.mod2.token) as s_mod2:
        sockets = {"captain": s_captain, "mod": s_mod, "target": s_target,
                   "member": s_member, "mod2": s_mod2}
        sync = (await post(http, crew.general, "sync")).json()["event"]["cursor"]
        for s in sockets.values():  # every socket is live
            await events_until(s, lambda e, c=sync: e["cursor"] == c)
        r = await patch(http, crew, crew.target.user_id, {"moderation_note": "watch"},
                        crew.mod.headers)
        assert r.status_code == 200
        mod_event = r.json()["event"]
        after = (await post(http, crew.general, "after")).json()["event"]["cursor"]
        for name, s in sockets.items():
            seen = await events_until(s, lambda e, c=after: e["cursor"] == c)
            got = [e for e in seen if e["type"] == "member.moderation_updated"]
            if name in ("captain", "mod", "target"):
                assert [e["cursor"] for e in got] == [mod_event["cursor"]], name
                assert got[0]["payload"] == {"user_id": crew.target.user_id, "role": "member"}
            else:  # an ordinary member, and a blocked moderator
                assert got == [], name
    for name, person in audience.items():
        pulled = await http.get("/api/realtime/events", params={"workspace_id": crew.ws},
                                headers=person.headers if person else None)
        cursors = [e["cursor"] for e in pulled.json()["events"]]
        assert (mod_event["cursor"] in cursors) == (name in ("captain", "mod", "target")), name


async def test_timeouts_and_blocks_stop_writes_but_not_reads(server, http):
    crew = await make_crew(http)
    t = crew.target
    bot = await create_bot(http, crew.ws, headers=t.headers, display_name="Sidekick",
                           owner_user_id=t.user_id, scopes=["bot:admin"])
    bot_h = {"Authorization": f"Bearer {bot['bot_token']['token']}"}

    async def writes_refused(headers):
        for method, url, body in [
            ("POST", f"/api/channels/{crew.general}/messages", {"body": "x"}),
            ("POST", f"/api/workspaces/{crew.ws}/channels", {"name": "new-room"}),
            ("POST", "/api/realtime/ephemeral", {"workspace_id": crew.ws,
                                                 "type": "typing.started",
                                                 "channel_id": crew.general}),
            ("POST", "/api/realtime/ephemeral", {"workspace_id": crew.ws,
                                                 "type": "presence.changed"}),
        ]:
            r = await http.request(method, url, json=body, headers=headers)
            assert r.status_code == 403, (url, r.text)
            assert r.json()["code"] == "moderation_restriction"
        assert (await http.get(f"/api/channels/{crew.general}/messages",
                               headers=headers)).status_code == 200
        assert (await http.get(f"/api/workspaces/{crew.ws}/channels",
                               headers=headers)).status_code == 200
        assert (await http.get("/api/realtime/events", params={"workspace_id": crew.ws},
                               headers=headers)).status_code == 200

    # A nonce replay of a post made before the timeout still answers 200 (8.2).
    r = await http.post(f"/api/channels/{crew.general}/messages",
                        json={"body": "early", "nonce": "n-1"}, headers=t.headers)
    assert r.status_code == 201
    assert (await patch(http, crew, t.user_id, {"timeout_minutes": 10})).status_code == 200
    await writes_refused(t.headers)
    await writes_refused(bot_h)  # a user-owned bot can never do more than its owner
    r = await http.post(f"/api/channels/{crew.general}/messages",
                        json={"body": "early", "nonce": "n-1"}, headers=t.headers)
    assert r.status_code == 200

    assert (await patch(http, crew, t.user_id, {"clear_timeout": True})).status_code == 200
    assert (await post(http, crew.general, "back", t.headers)).status_code == 201
    past = "2000-01-01T00:00:00Z"  # a timeout in the past restricts nothing
    assert (await patch(http, crew, t.user_id, {"timeout_until": past})).status_code == 200
    assert (await post(http, crew.general, "still", t.headers)).status_code == 201

    tail = await tail_cursor(http, crew.ws, headers=t.headers)
    async with open_socket(server, crew.ws, tail, t.token) as ws:
        sync = (await post(http, crew.general, "sync")).json()["event"]["cursor"]
        await events_until(ws, lambda e: e["cursor"] == sync)
        assert (await patch(http, crew, t.user_id, {"blocked": True})).status_code == 200
        code, seen = await close_code(ws, within=3)
    assert code == 1008
    assert [e["type"] for e in seen] == ["member.moderation_updated"]
    await writes_refused(t.headers)
    await writes_refused(bot_h)
    assert (await patch(http, crew, t.user_id, {"blocked": False})).status_code == 200
    assert (await post(http, crew.general, "free", t.headers)).status_code == 201
    assert (await post(http, crew.general, "free", bot_h)).status_code == 201

    # A blocked moderator cannot moderate.
    assert (await patch(http, crew, crew.mod.user_id, {"blocked": True})).status_code == 200
    r = await patch(http, crew, t.user_id, {"blocked": True}, crew.mod.headers)
    assert r.status_code == 403 and r.json()["code"] == "moderation_restriction"


async def test_guests_see_and_post_only_in_guest_within_a_daily_budget(server, http):
    crew = await make_crew(http)
    g = crew.target
    before = {c["name"] for c in (await http.get(
        f"/api/workspaces/{crew.ws}/channels")).json()["channels"]}
    assert "guest" not in before
    r = await http.post(f"/api/workspaces/{crew.ws}/channels", json={"name": "Guest"})
    assert r.status_code == 409 and r.json()["code"] == "channel_name_reserved"

    tail = await tail_cursor(http, crew.ws, headers=g.headers)
    async with open_socket(server, crew.ws, tail, g.token) as ws:
        sync = (await post(http, crew.general, "sync")).json()["event"]["cursor"]
        await events_until(ws, lambda e: e["cursor"] == sync)
        r = await patch(http, crew, g.user_id, {"role": "guest"}, crew.mod.headers)
        assert r.status_code == 200, r.text
        code, seen = await close_code(ws, within=3)  # what they may see changed: resync
    assert code == 4001
    assert "member.moderation_updated" in [e["type"] for e in seen]

    # #guest was created with the first guest, as a public channel, with its event.
    channels = (await http.get(f"/api/workspaces/{crew.ws}/channels")).json()["channels"]
    (room,) = [c for c in channels if c["name"] == "guest"]
    assert room["kind"] == "public"
    pulled = (await http.get("/api/realtime/events", params={"workspace_id": crew.ws})).json()
    assert any(e["type"] == "channel.created" and e.get("channel_id") == room["id"]
               for e in pulled["events"])

    # The guest sees #guest only.
    mine = (await http.get(f"/api/workspaces/{crew.ws}/channels", headers=g.headers)).json()
    assert [c["name"] for c in mine["channels"]] == ["guest"]
    r = await http.get(f"/api/channels/{crew.general}/messages", headers=g.headers)
    assert r.status_code == 404
    r = await post(http, crew.general, "let me in", g.headers)
    assert r.status_code == 404
    r = await http.post(f"/api/workspaces/{crew.ws}/channels", json={"name": "mine"},
                        headers=g.headers)
    assert r.status_code == 403 and r.json()["code"] == "moderation_restriction"
    eph = {"workspace_id": crew.ws, "type": "typing.started"}
    r = await http.post("/api/realtime/ephemeral", json={**eph, "channel_id": crew.general},
                        headers=g.headers)
    assert r.status_code == 404
    r = await http.post("/api/realtime/ephemeral", json={**eph, "type": "presence.changed"},
                        headers=g.headers)
    assert r.status_code == 403 and r.json()["code"] == "moderation_restriction"
    r = await http.post("/api/realtime/ephemeral", json={**eph, "channel_id": room["id"]},
                        headers=g.headers)
    assert r.status_code == 202

    # Three posts a day in #guest; the fourth gets 429 with Retry-After.
    for i in range(3):
        r = await post(http, room["id"], f"hello {i}", g.headers)
        assert r.status_code == 201, r.text
    first_id = r.json()["message"]["id"]
    r = await post(http, room["id"], "one more", g.headers)
    assert r.status_code == 429 and r.json()["code"] == "guest_post_limit"
    retry = int(r.headers["Retry-After"])
    assert 86_000 < retry <= 86_400
    r = await http.post("/api/realtime/ephemeral", json={**eph, "channel_id": room["id"]},
                        headers=g.headers)
    assert r.status_code == 429
    roster = (await http.get(crew.url())).json()["members"]
    (row,) = [m for m in roster if m["user"]["id"] == g.user_id]
    assert (row["role"], row["post_limit"], row["posts_remaining"]) == ("guest", 3, 0)
    # Deleted posts still count.
    run_sql(http, "UPDATE messages SET deleted_at = created_at, body = '' WHERE id = ?",
            first_id)
    assert (await post(http, room["id"], "again", g.headers)).status_code == 429
    # Posts older than 24 hours no longer count.
    run_sql(http, "UPDATE messages SET created_at = '2000-01-01T00:00:00.000000000Z'"
            " WHERE id = ?", first_id)
    assert (await post(http, room["id"], "next day", g.headers)).status_code == 201

    # A second guest reuses the room; promoting back restores the full view.
    r = await patch(http, crew, crew.member.user_id, {"role": "guest"})
    assert r.status_code == 200
    channels = (await http.get(f"/api/workspaces/{crew.ws}/channels")).json()["channels"]
    assert [c["name"] for c in channels].count("guest") == 1
    r = await patch(http, crew, g.user_id, {"role": "member"})
    assert r.status_code == 200
    mine = (await http.get(f"/api/workspaces/{crew.ws}/channels", headers=g.headers)).json()
    assert {"general", "guest"} <= {c["name"] for c in mine["channels"]}
    assert (await post(http, crew.general, "I'm back", g.headers)).status_code == 201


async def test_guest_sockets_never_receive_other_channels_events(server, http):
    crew = await make_crew(http)
    g = crew.target
    r = await patch(http, crew, g.user_id, {"role": "guest"})
    assert r.status_code == 200
    chans = (await http.get(f"/api/workspaces/{crew.ws}/channels")).json()["channels"]
    room = next(c["id"] for c in chans if c["name"] == "guest")
    tail = await tail_cursor(http, crew.ws, headers=g.headers)
    async with open_socket(server, crew.ws, tail, g.token) as ws:
        # Prove the guest socket is live: a #guest post arrives.
        sync = (await post(http, room, "welcome")).json()["event"]["cursor"]
        await events_until(ws, lambda e: e["cursor"] == sync)
        hidden = (await post(http, crew.general, "members only")).json()["event"]
        r = await http.post("/api/realtime/ephemeral", json={
            "workspace_id": crew.ws, "type": "typing.started", "channel_id": crew.general})
        assert r.status_code == 202
        r = await http.post("/api/realtime/ephemeral", json={
            "workspace_id": crew.ws, "type": "typing.started", "channel_id": room})
        assert r.status_code == 202
        last = (await post(http, room, "see you")).json()["event"]["cursor"]
        seen = await events_until(ws, lambda e: e["cursor"] == last)
        # Exactly the #guest typing event and the #guest post: nothing from #general.
        assert [(e["type"], e.get("channel_id")) for e in seen] == [
            ("typing.started", room), ("message.created", room)]
    pulled = (await http.get("/api/realtime/events", params={"workspace_id": crew.ws},
                             headers=g.headers)).json()["events"]
    assert hidden["cursor"] not in [e["cursor"] for e in pulled]
    assert all(e.get("channel_id") in (None, room) for e in pulled)


async def test_bots_never_moderate(http):
    crew = await make_crew(http)
    raw = (await create_bot(http, crew.ws, scopes=["bot:admin"]))["bot_token"]["token"]
    h = {"Authorization": f"Bearer {raw}"}
    r = await http.get(crew.url(), headers=h)
    assert r.status_code == 403 and r.json()["code"] == "human_only"
    r = await patch(http, crew, crew.target.user_id, {"blocked": True}, h)
    assert r.status_code == 403 and r.json()["code"] == "human_only"


async def test_a_role_change_of_the_owner_of_a_bot_resyncs_its_bot(server, http):
    """A guest's user-owned bot acts as a guest: it sees only #guest, and its sockets resync
    when its owner's role changes."""
    crew = await make_crew(http)
    t = crew.target
    bot = await create_bot(http, crew.ws, headers=t.headers, display_name="Shadow",
                           owner_user_id=t.user_id, scopes=["bot:write"])
    raw = bot["bot_token"]["token"]
    h = {"Authorization": f"Bearer {raw}"}
    tail = await tail_cursor(http, crew.ws, headers=h)
    async with open_socket(server, crew.ws, tail, raw) as ws:
        sync = (await post(http, crew.general, "sync")).json()["event"]["cursor"]
        await events_until(ws, lambda e: e["cursor"] == sync)
        assert (await patch(http, crew, t.user_id, {"role": "guest"})).status_code == 200
        with trio.fail_after(3):
            code, _ = await close_code(ws)
    assert code == 4001
    chans = (await http.get(f"/api/workspaces/{crew.ws}/channels", headers=h)).json()
    assert [c["name"] for c in chans["channels"]] == ["guest"]
    assert (await post(http, crew.general, "sneaky", h)).status_code == 404
