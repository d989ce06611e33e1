"""Realtime end to end against a real server: live delivery of committed events, replay by
cursor, 4001 resyncs, reconnect without gaps, slow readers, ephemeral events."""

from __future__ import annotations

import random

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from tests.conftest import bootstrap_ids, frames_to_events, sign_up, tail_cursor


def ws_path(workspace_id: str, after: str | None = None) -> str:
    q = f"/api/realtime/ws?workspace_id={workspace_id}"
    return q + (f"&after_cursor={after}" if after else "")


async def next_events(ws) -> list[dict]:
    return frames_to_events(await ws.get_message())


async def test_committed_posts_are_delivered_live_in_cursor_order(server, http):
    ws_id, ch = await bootstrap_ids(http)
    tail = await tail_cursor(http, ws_id)
    async with open_websocket_url(server.ws_url + ws_path(ws_id, tail)) as ws:
        acked = []
        for i in range(20):
            r = await http.post(f"/api/channels/{ch}/messages", json={"body": f"m{i}"})
            acked.append(r.json()["event"]["cursor"])
        got: list[str] = []
        with trio.fail_after(5):
            while len(got) < 20:
                got += [e["cursor"] for e in await next_events(ws)]
    assert got == acked
    assert got == sorted(got)


async def test_replay_from_a_cursor_sends_exactly_what_came_after_then_goes_live(server, http):
    ws_id, ch = await bootstrap_ids(http)
    start = await tail_cursor(http, ws_id)
    before = [(await http.post(f"/api/channels/{ch}/messages", json={"body": f"b{i}"})
               ).json()["event"] for i in range(5)]
    async with open_websocket_url(server.ws_url + ws_path(ws_id, start)) as ws:
        got = []
        with trio.fail_after(5):
            while len(got) < 5:
                got += await next_events(ws)
        assert [e["cursor"] for e in got] == [e["cursor"] for e in before]
        assert got[0] == before[0]  # the same envelope live and on replay
        r = await http.post(f"/api/channels/{ch}/messages", json={"body": "live"})
        with trio.fail_after(5):
            (live,) = await next_events(ws)
        assert live["cursor"] == r.json()["event"]["cursor"]


async def test_http_pull_matches_the_socket(http):
    ws_id, ch = await bootstrap_ids(http)
    for i in range(7):
        await http.post(f"/api/channels/{ch}/messages", json={"body": f"p{i}"})
    all_events = (await http.get("/api/realtime/events",
                                 params={"workspace_id": ws_id, "limit": 500})).json()["events"]
    page, after = [], ""
    while True:
        r = await http.get("/api/realtime/events",
                           params={"workspace_id": ws_id, "after_cursor": after, "limit": 3})
        events = r.json()["events"]
        page += events
        if len(events) < 3:
            break
        after = events[-1]["cursor"]
    assert page == all_events
    tail = await tail_cursor(http, ws_id)
    assert tail == all_events[-1]["cursor"]
    r = await http.get("/api/realtime/events", params={"workspace_id": ws_id, "limit": 501})
    assert r.status_code == 400
    r = await http.get("/api/realtime/events", params={"workspace_id": ws_id,
                                                       "after_cursor": "nope"})
    assert r.status_code == 400


@pytest.mark.parametrize("cursor", ["cur_00000000000000000000000000",
                                    "cur_7zzzzzzzzzzzzzzzzzzzzzzzzz"])
async def test_unknown_or_future_cursor_closes_with_4001(server, http, cursor):
    ws_id, _ = await bootstrap_ids(http)
    async with open_websocket_url(server.ws_url + ws_path(ws_id, cursor)) as ws:
        with trio.fail_after(5), pytest.raises(ConnectionClosed) as info:
            await ws.get_message()
    assert info.value.reason.code == 4001


async def test_reconnecting_with_the_last_cursor_under_random_disconnects_loses_nothing(
    server, http
):
    """300 posts while a client drops its socket at random moments and resumes from the last
    cursor it processed: 0 gaps, 0 duplicates, strictly increasing cursors."""
    ws_id, ch = await bootstrap_ids(http)
    start = await tail_cursor(http, ws_id)
    rng = random.Random(1234)
    received: list[str] = []
    acked: list[str] = []
    posting_done = trio.Event()

    async def poster():
        for i in range(300):
            r = await http.post(f"/api/channels/{ch}/messages", json={"body": f"r{i}",
                                                                       "nonce": f"r-{i}"})
            assert r.status_code == 201
            acked.append(r.json()["event"]["cursor"])
        posting_done.set()

    async def subscriber():
        last = start
        reconnects = 0
        while not (posting_done.is_set() and len(received) >= 300):
            async with open_websocket_url(server.ws_url + ws_path(ws_id, last)) as ws:
                budget = rng.randint(1, 40)  # events to take before dropping the connection
                while budget > 0:
                    with trio.move_on_after(2):
                        for e in await next_events(ws):
                            received.append(e["cursor"])
                            last = e["cursor"]  # checkpoint only after "applying"
                            budget -= 1
                        continue
                    break  # quiet: posting is over
            reconnects += 1
        return reconnects

    with trio.fail_after(60):
        async with trio.open_nursery() as n:
            n.start_soon(poster)
            n.start_soon(subscriber)
    assert len(received) == len(set(received)), "duplicates"
    assert received == sorted(received), "out of order"
    assert received == acked, "gaps"


async def test_a_stalled_reader_does_not_hold_up_healthy_ones(server, http):
    """A client that completes the handshake and never reads: healthy subscribers still get
    every event promptly, and the server keeps serving."""
    import socket as pysocket

    ws_id, ch = await bootstrap_ids(http)
    tail = await tail_cursor(http, ws_id)
    host, port = server.url.removeprefix("http://").split(":")
    raw = pysocket.socket()
    raw.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_RCVBUF, 1024)
    raw.connect((host, int(port)))
    raw.sendall((f"GET {ws_path(ws_id, tail)} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                 "\r\n").encode())
    try:
        async with open_websocket_url(server.ws_url + ws_path(ws_id, tail)) as healthy:
            got = 0
            with trio.fail_after(30):
                for i in range(200):
                    r = await http.post(f"/api/channels/{ch}/messages",
                                        json={"body": "y" * 2000 + str(i)})
                    assert r.status_code == 201
                    with trio.fail_after(2):  # each delivery is prompt despite the stall
                        while got < i + 1:
                            got += len(await next_events(healthy))
            assert got == 200
        assert (await http.get("/healthz")).status_code == 200
    finally:
        raw.close()


async def test_ephemeral_events_are_delivered_live_and_never_stored(server, http):
    ws_id, ch = await bootstrap_ids(http)
    tail = await tail_cursor(http, ws_id)
    async with open_websocket_url(server.ws_url + ws_path(ws_id, tail)) as ws:
        r = await http.post("/api/realtime/ephemeral", json={
            "workspace_id": ws_id, "type": "typing.started", "channel_id": ch,
            "payload": {"user_id": "someone-else", "x": 1}})
        assert r.status_code == 202, r.text
        sent = r.json()["event"]
        assert sent["cursor"] == "" and sent["id"].startswith("eph_")
        with trio.fail_after(5):
            (e,) = await next_events(ws)
        assert e["type"] == "typing.started"
        me = (await http.get("/api/me")).json()["user"]["id"]
        assert e["payload"]["user_id"] == me  # overwritten with the caller
        assert e["payload"]["channel_id"] == ch
    assert await tail_cursor(http, ws_id) == tail  # nothing stored
    r = await http.post("/api/realtime/ephemeral", json={
        "workspace_id": ws_id, "type": "agent.progress", "channel_id": ch})
    assert r.status_code == 403  # bot tokens only
    r = await http.post("/api/realtime/ephemeral", json={
        "workspace_id": ws_id, "type": "typing.started"})
    assert r.status_code == 400  # needs a target


async def test_websocket_refuses_strangers_and_bad_requests(server, http):
    ws_id, _ = await bootstrap_ids(http)
    stranger = await sign_up(http, "eve@example.com")
    from trio_websocket import HandshakeError

    async def status_of(path, **kw):
        try:
            async with open_websocket_url(server.ws_url + path, **kw):
                return 101
        except HandshakeError as exc:
            return exc.status_code  # type: ignore[attr-defined]

    assert await status_of(ws_path(ws_id),
                           subprotocols=[f"clickclack.bearer.{stranger.token}"]) == 404
    assert await status_of(ws_path(ws_id), subprotocols=["clickclack.bearer.sst_nope"]) == 401
    assert await status_of("/api/realtime/ws") == 400
    # Cookie/dev auth from a foreign Origin is refused (cross-site websocket hijacking).
    assert await status_of(ws_path(ws_id),
                           extra_headers=[("Origin", "https://evil.example")]) in (401, 403)


async def test_bearer_subprotocol_is_echoed(server, http):
    ws_id, _ = await bootstrap_ids(http)
    person = await sign_up(http, "sub@example.com")
    from tests.helpers import add_member

    await add_member(http, ws_id, person.user_id)
    proto = f"clickclack.bearer.{person.token}"
    async with open_websocket_url(server.ws_url + ws_path(ws_id, await tail_cursor(http, ws_id)),
                                  subprotocols=[proto]) as ws:
        assert ws.subprotocol == proto



async def test_guests_never_receive_events_of_ordinary_channels_live_or_replayed(server, http):
    from tests.helpers import add_member

    ws_id, ch = await bootstrap_ids(http)
    guest = await sign_up(http, "guest@example.com")
    member = await sign_up(http, "member@example.com")
    await add_member(http, ws_id, guest.user_id, "guest")
    await add_member(http, ws_id, member.user_id, "member")
    start = await tail_cursor(http, ws_id)
    # Each client starts from its own tail: the guest sees no event at all yet.
    assert await tail_cursor(http, ws_id, headers=guest.headers) == ""
    await http.post(f"/api/channels/{ch}/messages", json={"body": "members only"})

    def url(after):
        return server.ws_url + ws_path(ws_id, after)

    guest_proto = [f"clickclack.bearer.{guest.token}"]
    async with open_websocket_url(url(None), subprotocols=guest_proto) as g, \
            open_websocket_url(url(start), subprotocols=[f"clickclack.bearer.{member.token}"]
                               ) as m:
        r = await http.post(f"/api/channels/{ch}/messages", json={"body": "live"})
        with trio.fail_after(5):
            got = []
            while len(got) < 2:
                got += await next_events(m)  # the member gets the replayed and the live one
        assert got[-1]["cursor"] == r.json()["event"]["cursor"]
        with trio.move_on_after(0.5):
            leaked = await g.get_message()
            raise AssertionError(f"guest received {leaked}")
    pulled = await http.get("/api/realtime/events", params={"workspace_id": ws_id},
                            headers=guest.headers)
    assert [e for e in pulled.json()["events"] if e.get("channel_id") == ch] == []


async def test_an_oversized_client_frame_closes_only_that_socket(server, http):
    ws_id, ch = await bootstrap_ids(http)
    tail = await tail_cursor(http, ws_id)
    async with open_websocket_url(server.ws_url + ws_path(ws_id, tail)) as bad, \
            open_websocket_url(server.ws_url + ws_path(ws_id, tail)) as good:
        await bad.send_message("x" * (server.config.ws_max_message_bytes + 1))
        with trio.fail_after(5), pytest.raises(ConnectionClosed) as info:
            await bad.get_message()
        assert info.value.reason.code == 1009  # message too big
        r = await http.post(f"/api/channels/{ch}/messages", json={"body": "still fine"})
        with trio.fail_after(5):
            (e,) = await next_events(good)
        assert e["cursor"] == r.json()["event"]["cursor"]


async def test_a_refused_handshake_is_problem_json(http):
    """Issue 9: an upgrade request hypercorn cannot accept (here a version other than 13) is
    answered 400 with a problem+json body like every other error, not an empty 400; a plain
    GET (no upgrade) is 400 upgrade_required."""
    ws_id, _ = await bootstrap_ids(http)
    handshake = {"Upgrade": "websocket", "Connection": "Upgrade",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "12"}
    r = await http.get("/api/realtime/ws", params={"workspace_id": ws_id}, headers=handshake)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "bad_websocket_handshake"
    r = await http.get("/api/realtime/ws", params={"workspace_id": ws_id})
    assert r.status_code == 400 and r.json()["code"] == "upgrade_required"
