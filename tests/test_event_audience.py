"""End to end: two users' sockets see exactly the events the catalogue says they should, in
cursor order; an unrelated user sees none; a replay from the start of the log reproduces what a
live subscriber saw."""

from __future__ import annotations

import trio
from trio_websocket import open_websocket_url

from tests.conftest import bootstrap_ids, frames_to_events, sign_up, tail_cursor
from tests.helpers import add_member


async def collect(ws, into: list[dict], done: trio.Event) -> None:
    while True:
        for e in frames_to_events(await ws.get_message()):
            into.append(e)
            if e["type"] == "message.created" and e["payload"].get("nonce") == "the-end":
                done.set()


async def test_each_user_sees_exactly_their_events_live_and_on_replay(server, http):
    ws, general = await bootstrap_ids(http)
    captain = (await http.get("/api/me")).json()["user"]["id"]
    bob = await sign_up(http, "bob@example.com", "Bob")
    await add_member(http, ws, bob.user_id)
    stranger = await sign_up(http, "stranger@example.com")
    other_ws = (await http.post("/api/workspaces", json={"name": "Elsewhere"},
                                headers=stranger.headers)).json()["workspace"]["id"]
    start = await tail_cursor(http, ws)
    bob_start = await tail_cursor(http, ws, headers=bob.headers)

    def url(workspace, after):
        return server.ws_url + f"/api/realtime/ws?workspace_id={workspace}" + (
            f"&after_cursor={after}" if after else "")

    seen: dict[str, list[dict]] = {"captain": [], "bob": [], "stranger": []}
    finished = {k: trio.Event() for k in seen}
    bob_proto = [f"clickclack.bearer.{bob.token}"]
    stranger_proto = [f"clickclack.bearer.{stranger.token}"]
    async with open_websocket_url(url(ws, start)) as cap_ws, \
            open_websocket_url(url(ws, bob_start), subprotocols=bob_proto) as bob_ws, \
            open_websocket_url(url(other_ws, None), subprotocols=stranger_proto) as str_ws, \
            trio.open_nursery() as n:
        n.start_soon(collect, cap_ws, seen["captain"], finished["captain"])
        n.start_soon(collect, bob_ws, seen["bob"], finished["bob"])
        n.start_soon(collect, str_ws, seen["stranger"], finished["stranger"])
        acked: list[tuple[dict, set[str]]] = []  # (event, who must see it)
        both = {"captain", "bob"}

        async def act(method, path, who=both, headers=None, **kw):
            r = await http.request(method, path, headers=headers, **kw)
            assert r.status_code in (200, 201), (path, r.text)
            body = r.json()
            events = body.get("events") or ([body["event"]] if body.get("event") else [])
            acked.extend((e, who) for e in events)
            return body

        ch = (await act("POST", f"/api/workspaces/{ws}/channels",
                        json={"name": "launch"}))["channel"]["id"]
        m = (await act("POST", f"/api/channels/{ch}/messages",
                       json={"body": "hello"}))["message"]["id"]
        await act("PATCH", f"/api/messages/{m}", json={"body": "hello!"})
        await act("POST", f"/api/messages/{m}/reactions", json={"emoji": "🎉"},
                  headers=bob.headers)
        await act("POST", f"/api/channels/{ch}/pins", json={"message_id": m})
        await act("POST", f"/api/messages/{m}/thread/replies", json={"body": "reply"},
                  headers=bob.headers)
        # Read pointers are private to the reader.
        read = await http.post(f"/api/channels/{ch}/read", json={"seq": 1},
                               headers=bob.headers)
        assert read.status_code == 200
        priv = (await act("POST", f"/api/workspaces/{ws}/channels",
                          json={"name": "captain-only", "kind": "private"},
                          who={"captain"}))["channel"]["id"]
        await act("POST", f"/api/channels/{priv}/messages", json={"body": "private"},
                  who={"captain"})
        dm = (await http.post("/api/dms", json={"workspace_id": ws,
                                                "member_ids": [bob.user_id]})).json()
        await act("POST", f"/api/dms/{dm['conversation']['id']}/messages",
                  json={"body": "hi bob"})
        # Deleting a pinned message emits pin.removed then message.deleted; the response
        # carries the last one, so take both from the log.
        last = acked[-1][0]["cursor"]
        gone = await http.delete(f"/api/messages/{m}")
        assert gone.status_code == 200
        logged = (await http.get("/api/realtime/events", params={
            "workspace_id": ws, "after_cursor": last})).json()["events"]
        assert [e["type"] for e in logged] == ["pin.removed", "message.deleted"]
        assert logged[-1] == gone.json()["event"]
        acked.extend((e, both) for e in logged)
        await act("POST", f"/api/channels/{general}/messages",
                  json={"body": "end", "nonce": "the-end"})
        with trio.fail_after(10):
            await finished["captain"].wait()
            await finished["bob"].wait()
        n.cancel_scope.cancel()
    bob_read = [e for e in seen["bob"] if e["type"] == "channel.read"]
    assert len(bob_read) == 1 and bob_read[0]["payload"]["user_id"] == bob.user_id
    for who in ("captain", "bob"):
        live = [e for e in seen[who] if e["cursor"] and e["type"] != "channel.read"]
        expected = [e for e, audience in acked if who in audience]
        assert [e["type"] for e in live] == [e["type"] for e in expected], who
        assert [e["cursor"] for e in live] == [e["cursor"] for e in expected], who
        assert [e["type"] for e in live] == [e["type"] for e in expected], who
        cursors = [e["cursor"] for e in seen[who]]
        assert cursors == sorted(cursors)
    assert "channel.read" not in [e["type"] for e in seen["captain"]]
    assert all(e["workspace_id"] == other_ws for e in seen["stranger"])
    # Replay from the start of the log reproduces Bob's live sequence exactly.
    async with open_websocket_url(url(ws, None),
                                  subprotocols=[f"clickclack.bearer.{bob.token}"]) as replay_ws:
        replayed: list[dict] = []
        with trio.fail_after(10):
            while not replayed or replayed[-1]["cursor"] != seen["bob"][-1]["cursor"]:
                replayed += frames_to_events(await replay_ws.get_message())
    tail_part = [e for e in replayed if e["cursor"] > bob_start]
    assert tail_part == seen["bob"]
    assert captain  # the captain is a real user id
