"""Channels: get one, patch/archive, private channels with members (D6), join/leave, and the
privacy of private-channel events live and on replay."""

import trio
from trio_websocket import open_websocket_url

from tests.conftest import bootstrap_ids, frames_to_events, sign_up, tail_cursor
from tests.helpers import add_member


async def test_get_and_patch_channel(http):
    ws, ch = await bootstrap_ids(http)
    got = (await http.get(f"/api/channels/{ch}")).json()["channel"]
    assert got["name"] == "general" and got["unread_count"] == 0
    r = await http.patch(f"/api/channels/{ch}", json={"purpose": "Company-wide chatter",
                                                      "display_title": "General"})
    assert r.status_code == 200, r.text
    assert r.json()["channel"]["purpose"] == "Company-wide chatter"
    assert r.json()["event"]["type"] == "channel.updated"
    r = await http.patch(f"/api/channels/{ch}", json={"archived": True})
    assert "archived_at" in r.json()["channel"]
    assert r.json()["event"]["payload"] == {"channel_id": ch, "archived": True}
    assert (await http.patch(f"/api/channels/{ch}", json={"purpose": "two\nlines"})
            ).status_code == 400
    # nothing to change (issue 9): the channel as it is, 200, no event
    r = await http.patch(f"/api/channels/{ch}", json={})
    assert r.status_code == 200 and "event" not in r.json(), r.text
    r = await http.patch(f"/api/channels/{ch}", json={"name": "  ", "purpose": None})
    assert r.status_code == 200 and "event" not in r.json(), r.text
    r = await http.patch(f"/api/channels/{ch}", json={"name": "n" * 81})
    assert r.status_code == 400 and r.json()["code"] == "name_too_long"
    member = await sign_up(http, "m@example.com")
    await add_member(http, ws, member.user_id)
    r = await http.patch(f"/api/channels/{ch}", json={"purpose": "mine"},
                         headers=member.headers)
    assert r.status_code == 403


async def test_private_channels_are_invisible_to_non_members(server, http):
    ws, _ = await bootstrap_ids(http)
    alice = await sign_up(http, "alice@example.com")
    eve = await sign_up(http, "eve@example.com")
    for p in (alice, eve):
        await add_member(http, ws, p.user_id)
    r = await http.post(f"/api/workspaces/{ws}/channels", json={"name": "secret-plans",
                                                                "kind": "private"})
    assert r.status_code == 201, r.text
    priv = r.json()["channel"]["id"]
    assert r.json()["channel"]["kind"] == "private"
    eve_tail = await tail_cursor(http, ws, headers=eve.headers)
    url = server.ws_url + f"/api/realtime/ws?workspace_id={ws}&after_cursor={eve_tail}"
    async with open_websocket_url(url, subprotocols=[f"clickclack.bearer.{eve.token}"]) as eve_ws:
        assert (await http.post(f"/api/channels/{priv}/members",
                                json={"user_id": alice.user_id})).status_code == 200
        m = await http.post(f"/api/channels/{priv}/messages", json={"body": "the secret"})
        assert m.status_code == 201
        # Alice (a member) can read; Eve cannot even see the channel.
        page = await http.get(f"/api/channels/{priv}/messages", headers=alice.headers)
        assert [x["body"] for x in page.json()["messages"]] == ["the secret"]
        for r in (await http.get(f"/api/channels/{priv}", headers=eve.headers),
                  await http.get(f"/api/channels/{priv}/messages", headers=eve.headers),
                  await http.post(f"/api/channels/{priv}/messages", json={"body": "x"},
                                  headers=eve.headers),
                  await http.get(f"/api/messages/{m.json()['message']['id']}",
                                 headers=eve.headers),
                  await http.post(f"/api/channels/{priv}/join", headers=eve.headers)):
            assert r.status_code == 404, r.text
        names = [c["name"] for c in (await http.get(f"/api/workspaces/{ws}/channels",
                                                    headers=eve.headers)).json()["channels"]]
        assert "secret-plans" not in names
        # A public post afterwards is the first thing Eve's socket sees: nothing leaked before.
        _, general = await bootstrap_ids(http)
        pub = await http.post(f"/api/channels/{general}/messages", json={"body": "public"})
        with trio.fail_after(5):
            first = frames_to_events(await eve_ws.get_message())[0]
        assert first["cursor"] == pub.json()["event"]["cursor"]
    replay = (await http.get("/api/realtime/events", params={"workspace_id": ws},
                             headers=eve.headers)).json()["events"]
    assert all(e.get("channel_id") != priv for e in replay)
    alice_events = (await http.get("/api/realtime/events", params={"workspace_id": ws},
                                   headers=alice.headers)).json()["events"]
    assert any(e.get("channel_id") == priv and e["type"] == "message.created"
               for e in alice_events)


async def test_join_and_leave_public_channels(http):
    ws, ch = await bootstrap_ids(http)
    bob = await sign_up(http, "bob@example.com")
    await add_member(http, ws, bob.user_id)
    assert (await http.post(f"/api/channels/{ch}/join", headers=bob.headers)).status_code == 200
    members = (await http.get(f"/api/channels/{ch}/members")).json()["members"]
    assert bob.user_id in [u["id"] for u in members]
    assert (await http.post(f"/api/channels/{ch}/leave", headers=bob.headers)).status_code == 200
    members = (await http.get(f"/api/channels/{ch}/members")).json()["members"]
    assert bob.user_id not in [u["id"] for u in members]


async def test_removing_someone_who_is_not_a_member_is_404(http):
    """Issue 9: DELETE /api/channels/{id}/members/{user_id} for a user who is not in the
    channel is 404, not a 200 that changed nothing."""
    ws, _ = await bootstrap_ids(http)
    ch = (await http.post(f"/api/workspaces/{ws}/channels",
                          json={"name": "secret-plans", "kind": "private"})).json()["channel"]
    member = await sign_up(http, "leaver@example.com")
    await add_member(http, ws, member.user_id)
    url = f"/api/channels/{ch['id']}/members/{member.user_id}"
    r = await http.delete(url)
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
    assert (await http.post(f"/api/channels/{ch['id']}/members",
                            json={"user_id": member.user_id})).status_code == 200
    assert (await http.delete(url)).status_code == 200
    assert (await http.delete(url)).status_code == 404
    assert (await http.delete(f"/api/channels/{ch['id']}/members/usr_nobody")).status_code == 404


async def test_adding_to_an_archived_channel_or_adding_a_guest_is_a_conflict(http):
    """Issue 9: both depend on state (the channel's, the target's role), not on the request's
    shape, so they are 409 like other conflicts (D2), not 400."""
    ws, _ = await bootstrap_ids(http)
    ch = (await http.post(f"/api/workspaces/{ws}/channels",
                          json={"name": "ops-room", "kind": "private"})).json()["channel"]
    guest = await sign_up(http, "visitor@example.com")
    await add_member(http, ws, guest.user_id, role="guest")
    r = await http.post(f"/api/channels/{ch['id']}/members", json={"user_id": guest.user_id})
    assert r.status_code == 409 and r.json()["code"] == "guest_not_allowed"
    member = await sign_up(http, "late@example.com")
    await add_member(http, ws, member.user_id)
    assert (await http.patch(f"/api/channels/{ch['id']}", json={"archived": True})
            ).status_code == 200
    r = await http.post(f"/api/channels/{ch['id']}/members", json={"user_id": member.user_id})
    assert r.status_code == 409 and r.json()["code"] == "channel_archived"
