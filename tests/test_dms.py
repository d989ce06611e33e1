"""Direct messages (contract 13): 1:1 de-duplication, group DMs, privacy, close/reopen, sending,
replies, unread counts and read pointers."""

import trio
from trio_websocket import open_websocket_url

from tests.conftest import bootstrap_ids, frames_to_events, sign_up, tail_cursor
from tests.helpers import add_member


async def people(http, n):
    ws, _ = await bootstrap_ids(http)
    out = []
    for i in range(n):
        p = await sign_up(http, f"dm{i}@example.com", f"Person {i}")
        await add_member(http, ws, p.user_id)
        out.append(p)
    return ws, out


async def test_one_to_one_is_deduplicated_and_private(server, http):
    ws, (ann, ben, cat) = await people(http, 3)
    r = await http.post("/api/dms", json={"workspace_id": ws, "member_ids": [ben.user_id]},
                        headers=ann.headers)
    assert r.status_code == 201, r.text
    dm = r.json()["conversation"]
    assert sorted(u["id"] for u in dm["members"]) == sorted([ann.user_id, ben.user_id])
    again = await http.post("/api/dms", json={"workspace_id": ws, "member_ids": [ann.user_id]},
                            headers=ben.headers)
    assert again.json()["conversation"]["id"] == dm["id"]
    cat_tail = await tail_cursor(http, ws, headers=cat.headers)
    url = server.ws_url + f"/api/realtime/ws?workspace_id={ws}&after_cursor={cat_tail}"
    async with open_websocket_url(url, subprotocols=[f"clickclack.bearer.{cat.token}"]) as cws:
        sent = await http.post(f"/api/dms/{dm['id']}/messages", json={"body": "psst"},
                               headers=ann.headers)
        assert sent.status_code == 201, sent.text
        ev = sent.json()["event"]
        assert "channel_id" not in ev and ev["payload"]["direct_conversation_id"] == dm["id"]
        for r in (await http.get(f"/api/dms/{dm['id']}", headers=cat.headers),
                  await http.get(f"/api/dms/{dm['id']}/messages", headers=cat.headers),
                  await http.post(f"/api/dms/{dm['id']}/messages", json={"body": "x"},
                                  headers=cat.headers),
                  await http.get(f"/api/messages/{sent.json()['message']['id']}",
                                 headers=cat.headers)):
            assert r.status_code == 404
        _, general = await bootstrap_ids(http)
        pub = await http.post(f"/api/channels/{general}/messages", json={"body": "public"})
        with trio.fail_after(5):
            first = frames_to_events(await cws.get_message())[0]
        assert first["cursor"] == pub.json()["event"]["cursor"]  # the DM event never came
    bens = (await http.get("/api/dms", params={"workspace_id": ws}, headers=ben.headers)).json()
    (conv,) = bens["conversations"]
    assert (conv["unread_count"], conv["last_seq"], conv["can_send"]) == (1, 1, True)
    page = (await http.get(f"/api/dms/{dm['id']}/messages", headers=ben.headers)).json()
    assert [m["body"] for m in page["messages"]] == ["psst"]
    r = await http.post(f"/api/dms/{dm['id']}/read", json={"seq": 1}, headers=ben.headers)
    assert r.json()["receipt"]["last_read_seq"] == 1
    bens = (await http.get("/api/dms", params={"workspace_id": ws}, headers=ben.headers)).json()
    assert bens["conversations"][0]["unread_count"] == 0


async def test_close_reopen_and_new_root_unhides(http):
    ws, (ann, ben) = await people(http, 2)
    dm = (await http.post("/api/dms", json={"workspace_id": ws, "member_ids": [ben.user_id]},
                          headers=ann.headers)).json()["conversation"]

    async def listed(p):
        r = await http.get("/api/dms", params={"workspace_id": ws}, headers=p.headers)
        return [c["id"] for c in r.json()["conversations"]]

    assert (await http.delete(f"/api/dms/{dm['id']}", headers=ben.headers)).status_code == 200
    assert await listed(ben) == [] and await listed(ann) == [dm["id"]]
    await http.post(f"/api/dms/{dm['id']}/messages", json={"body": "hello?"},
                    headers=ann.headers)
    assert await listed(ben) == [dm["id"]]  # a new root unhides it for every member
    await http.delete(f"/api/dms/{dm['id']}", headers=ben.headers)
    r = await http.post(f"/api/dms/{dm['id']}/open", headers=ben.headers)
    assert r.status_code == 200 and await listed(ben) == [dm["id"]]


async def test_group_dm_limits_and_threads(http):
    ws, ps = await people(http, 3)
    ann = ps[0]
    r = await http.post("/api/dms", json={"workspace_id": ws,
                                          "member_ids": [p.user_id for p in ps[1:]]},
                        headers=ann.headers)
    dm = r.json()["conversation"]
    assert len(dm["members"]) == 3
    r2 = await http.post("/api/dms", json={"workspace_id": ws,
                                           "member_ids": [p.user_id for p in ps[1:]]},
                         headers=ann.headers)
    assert r2.json()["conversation"]["id"] != dm["id"]  # groups are not de-duplicated
    assert (await http.post("/api/dms", json={"workspace_id": ws, "member_ids": []},
                            headers=ann.headers)).status_code == 400
    assert (await http.post("/api/dms", json={"workspace_id": ws, "member_ids": ["usr_nobody"]},
                            headers=ann.headers)).status_code == 400
    # at most 31 ids, as the description declares (issue 9), duplicates or not
    r = await http.post("/api/dms", json={"workspace_id": ws,
                                          "member_ids": [ps[1].user_id] * 32},
                        headers=ann.headers)
    assert r.status_code == 400 and r.json()["code"] == "dm_too_large"
    root = (await http.post(f"/api/dms/{dm['id']}/messages", json={"body": "root"},
                            headers=ann.headers)).json()["message"]
    r = await http.post(f"/api/messages/{root['id']}/thread/replies", json={"body": "re"},
                        headers=ps[1].headers)
    assert r.status_code == 201
    assert all(e["payload"]["direct_conversation_id"] == dm["id"] for e in r.json()["events"])
    page = (await http.get(f"/api/dms/{dm['id']}/messages", headers=ann.headers)).json()
    assert [m["id"] for m in page["messages"]] == [root["id"]]


async def test_typing_in_a_dm_reaches_only_its_members(server, http):
    ws, (ann, ben, cat) = await people(http, 3)
    dm = (await http.post("/api/dms", json={"workspace_id": ws, "member_ids": [ben.user_id]},
                          headers=ann.headers)).json()["conversation"]

    def url(p):
        return server.ws_url + f"/api/realtime/ws?workspace_id={ws}&after_cursor="

    async def tail(p):
        return await tail_cursor(http, ws, headers=p.headers)

    ben_url = url(ben) + await tail(ben)
    cat_url = url(cat) + await tail(cat)
    async with open_websocket_url(ben_url, subprotocols=[f"clickclack.bearer.{ben.token}"]) as b, \
            open_websocket_url(cat_url, subprotocols=[f"clickclack.bearer.{cat.token}"]) as c:
        r = await http.post("/api/realtime/ephemeral", headers=ann.headers, json={
            "workspace_id": ws, "type": "typing.started", "direct_conversation_id": dm["id"]})
        assert r.status_code == 202, r.text
        with trio.fail_after(5):
            (e,) = frames_to_events(await b.get_message())
        assert e["type"] == "typing.started"
        assert e["payload"] == {"user_id": ann.user_id, "direct_conversation_id": dm["id"]}
        _, general = await bootstrap_ids(http)
        pub = await http.post(f"/api/channels/{general}/messages", json={"body": "public"})
        with trio.fail_after(5):
            first = frames_to_events(await c.get_message())[0]
        assert first["cursor"] == pub.json()["event"]["cursor"]  # Cat never saw the typing
    r = await http.post("/api/realtime/ephemeral", headers=cat.headers, json={
        "workspace_id": ws, "type": "typing.started", "direct_conversation_id": dm["id"]})
    assert r.status_code == 404
