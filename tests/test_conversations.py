"""Messages beyond posting: get, by nonce, edit, soft delete, quotes, mentions, Markdown,
threads, reactions, pins and read pointers (contract 8-12)."""

from __future__ import annotations

import trio

from tests.conftest import bootstrap_ids, sign_up
from tests.helpers import add_member


async def post(http, ch, body, **kw):
    r = await http.post(f"/api/channels/{ch}/messages", json={"body": body, **kw},
                        headers=kw.pop("headers", None) if "headers" in kw else None)
    assert r.status_code in (200, 201), r.text
    return r.json()


async def events_of(http, ws, **params):
    r = await http.get("/api/realtime/events", params={"workspace_id": ws, "limit": 500,
                                                       **params})
    return r.json()["events"]


async def test_get_edit_and_render(http):
    ws, ch = await bootstrap_ids(http)
    m = (await post(http, ch, "hello **world**"))["message"]
    assert m["body_html"] == "<p>hello <strong>world</strong></p>"
    got = (await http.get(f"/api/messages/{m['id']}")).json()["message"]
    assert got["body"] == "hello **world**"
    r = await http.patch(f"/api/messages/{m['id']}", json={"body": "hello _there_"})
    assert r.status_code == 200, r.text
    edited = r.json()["message"]
    assert edited["body_html"] == "<p>hello <em>there</em></p>" and "edited_at" in edited
    assert r.json()["event"]["type"] == "message.updated"
    assert r.json()["event"]["payload"] == {"message_id": m["id"], "root_message_id": m["id"]}
    other = await sign_up(http, "other@example.com")
    await add_member(http, ws, other.user_id)
    r = await http.patch(f"/api/messages/{m['id']}", json={"body": "hijack"},
                         headers=other.headers)
    assert r.status_code == 403 and r.json()["code"] == "message_not_writable"


async def test_soft_delete_keeps_the_slot_removes_pins_and_is_idempotent(http):
    ws, ch = await bootstrap_ids(http)
    a = (await post(http, ch, "first"))["message"]
    b = (await post(http, ch, "second"))["message"]
    assert (await http.post(f"/api/channels/{ch}/pins", json={"message_id": a["id"]})
            ).status_code == 201
    before = await events_of(http, ws)
    r = await http.delete(f"/api/messages/{a['id']}")
    assert r.status_code == 200
    deleted = r.json()["message"]
    assert deleted["body"] == "" and deleted["body_html"] == "" and "deleted_at" in deleted
    new = (await events_of(http, ws))[len(before):]
    assert [e["type"] for e in new] == ["pin.removed", "message.deleted"]
    again = await http.delete(f"/api/messages/{a['id']}")
    assert again.status_code == 200 and "event" not in again.json()
    assert len(await events_of(http, ws)) == len(before) + 2  # no new event
    page = (await http.get(f"/api/channels/{ch}/messages")).json()
    assert [m["channel_seq"] for m in page["messages"]] == [a["channel_seq"], b["channel_seq"]]
    assert (await http.get(f"/api/channels/{ch}/pins")).json()["messages"] == []
    r = await http.patch(f"/api/messages/{a['id']}", json={"body": "resurrect"})
    assert r.status_code == 400 and r.json()["code"] == "message_deleted"


async def test_quotes_and_mentions(http):
    ws, ch = await bootstrap_ids(http)
    ada = await sign_up(http, "ada@example.com", "Ada")
    await add_member(http, ws, ada.user_id)
    # Give Ada a handle directly in the database (profile editing is tested elsewhere).
    from tests.helpers import run_sql

    run_sql(http, "UPDATE users SET handle = 'ada' WHERE id = ?", ada.user_id)
    q = (await post(http, ch, "original words"))["message"]
    m = (await post(http, ch, "@ada and @channel see this", quoted_message_id=q["id"]))["message"]
    assert m["quoted_message_id"] == q["id"]
    assert m["quoted_body_snapshot"] == "original words"
    assert m["quoted_author"]["display_name"] == "Local Captain"
    assert m["mentions"] == {"user_ids": [ada.user_id], "channel": True, "here": False}
    chans = (await http.get(f"/api/workspaces/{ws}/channels", headers=ada.headers)).json()
    general = next(c for c in chans["channels"] if c["id"] == ch)
    assert general["mention_count"] == 1 and general["unread_count"] == 2
    other = (await http.post(f"/api/workspaces/{ws}/channels", json={"name": "elsewhere"})
             ).json()["channel"]["id"]
    r = await http.post(f"/api/channels/{other}/messages",
                        json={"body": "x", "quoted_message_id": q["id"]})
    assert r.status_code == 400 and r.json()["code"] == "quote_out_of_scope"


async def test_by_nonce(http):
    ws, ch = await bootstrap_ids(http)
    m = (await post(http, ch, "noncey", nonce="abc-1"))["message"]
    r = await http.get("/api/messages/by-nonce", params={"workspace_id": ws, "nonce": "abc-1"})
    assert r.status_code == 200 and r.json()["message"]["id"] == m["id"]
    assert r.headers["x-clickclack-message-nonce"] == "supported"
    r = await http.get("/api/messages/by-nonce", params={"workspace_id": ws, "nonce": "nope"})
    assert r.status_code == 404
    other_ws = (await http.post("/api/workspaces", json={"name": "Other"})).json()
    r = await http.get("/api/messages/by-nonce",
                       params={"workspace_id": other_ws["workspace"]["id"], "nonce": "abc-1"})
    assert r.status_code == 409


async def test_threads_one_level_with_state_and_paging(http):
    ws, ch = await bootstrap_ids(http)
    root = (await post(http, ch, "root"))["message"]
    before = await events_of(http, ws)
    replies = []
    for i in range(5):
        r = await http.post(f"/api/messages/{root['id']}/thread/replies",
                            json={"body": f"reply {i}", "nonce": f"rep-{i}"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert [e["type"] for e in body["events"]] == ["thread.reply_created",
                                                       "thread.state_updated"]
        replies.append(body["message"])
    assert [m["thread_seq"] for m in replies] == [1, 2, 3, 4, 5]
    assert all("channel_seq" not in m for m in replies)
    assert body["thread_state"]["reply_count"] == 5
    replay = await http.post(f"/api/messages/{root['id']}/thread/replies",
                             json={"body": "reply 4", "nonce": "rep-4"})
    assert replay.status_code == 200 and replay.json()["events"] is None
    nested = await http.post(f"/api/messages/{replies[0]['id']}/thread/replies",
                             json={"body": "deeper"})
    assert nested.status_code == 400 and nested.json()["code"] == "thread_nested"
    # Replies never show in the channel listing, and do not move last_seq.
    page = (await http.get(f"/api/channels/{ch}/messages")).json()
    assert [m["id"] for m in page["messages"]] == [root["id"]]
    assert page["messages"][0]["thread_state"]["reply_count"] == 5
    assert (await http.get(f"/api/channels/{ch}")).json()["channel"]["last_seq"] == 1
    t = (await http.get(f"/api/messages/{root['id']}/thread", params={"limit": 2,
                                                                      "latest": "true"})).json()
    assert [m["thread_seq"] for m in t["replies"]] == [4, 5] and t["has_older"]
    t = (await http.get(f"/api/messages/{root['id']}/thread",
                         params={"before_seq": 4, "limit": 2})).json()
    assert [m["thread_seq"] for m in t["replies"]] == [2, 3]
    assert t["thread_state"]["last_reply_author_ids"] == [root["author_id"]]
    new = (await events_of(http, ws))[len(before):]
    assert len(new) == 10


async def test_reactions_counts_limits_and_events(http):
    ws, ch = await bootstrap_ids(http)
    bob = await sign_up(http, "bob@example.com")
    await add_member(http, ws, bob.user_id)
    m = (await post(http, ch, "react to me"))["message"]
    url = f"/api/messages/{m['id']}/reactions"
    r = await http.post(url, json={"emoji": "👍"})
    assert r.status_code == 201
    assert r.json()["event"]["payload"] == {"message_id": m["id"], "emoji": "👍",
                                            "user_id": r.json()["event"]["payload"]["user_id"],
                                            "count": 1}
    assert (await http.post(url, json={"emoji": "👍"})).status_code == 200  # already there
    r = await http.post(url, json={"emoji": "👍"}, headers=bob.headers)
    assert r.json()["reactions"] == [{"emoji": "👍", "count": 2, "reacted_by_me": True}]
    got = (await http.get(f"/api/messages/{m['id']}")).json()["message"]
    assert got["reactions"] == [{"emoji": "👍", "count": 2, "reacted_by_me": True}]
    r = await http.delete(f"{url}/%F0%9F%91%8D")
    assert r.status_code == 200 and r.json()["event"]["payload"]["count"] == 1
    assert (await http.delete(f"{url}/%F0%9F%91%8D")).json().get("event") is None
    for bad in ("x" * 65, "a b", "\u202eevil", ""):
        assert (await http.post(url, json={"emoji": bad})).status_code == 400, bad
    # issue 9: the path segment is decoded once (no second unquote), and the declared bounds
    # hold there too: "%2541" is the literal "%41", not "A"; 65 characters are too many
    assert (await http.post(url, json={"emoji": "%41"})).status_code == 201
    r = await http.delete(f"{url}/%2541")
    assert r.status_code == 200 and r.json()["event"]["payload"]["emoji"] == "%41"
    r = await http.delete(f"{url}/{'x' * 65}")
    assert r.status_code == 400 and r.json()["code"] == "emoji_too_long"
    r = await http.delete(f"{url}/a%20b")
    assert r.status_code == 400 and r.json()["code"] == "emoji_invalid"
    for i in range(49):  # Bob's thumbs up is the 50th distinct reaction
        assert (await http.post(url, json={"emoji": f":e{i}:"})).status_code == 201
    r = await http.post(url, json={"emoji": ":one-too-many:"})
    assert r.status_code == 409 and r.json()["code"] == "reaction_limit"


async def test_pins(http):
    ws, ch = await bootstrap_ids(http)
    a = (await post(http, ch, "pin me"))["message"]
    r = await http.post(f"/api/channels/{ch}/pins", json={"message_id": a["id"]})
    assert r.status_code == 201 and r.json()["pinned_message"]["id"].startswith("pin_")
    assert r.json()["event"]["type"] == "pin.added"
    assert (await http.post(f"/api/channels/{ch}/pins", json={"message_id": a["id"]})
            ).status_code == 409
    pins = (await http.get(f"/api/channels/{ch}/pins")).json()["messages"]
    assert [p["id"] for p in pins] == [a["id"]]
    assert (await http.delete(f"/api/channels/{ch}/pins/{a['id']}")).status_code == 200
    assert (await http.delete(f"/api/channels/{ch}/pins/{a['id']}")).status_code == 404
    other = (await http.post(f"/api/workspaces/{ws}/channels", json={"name": "pins-2"})
             ).json()["channel"]["id"]
    r = await http.post(f"/api/channels/{other}/pins", json={"message_id": a["id"]})
    assert r.status_code == 400


async def test_read_pointer_only_moves_forward_with_private_events(server, http):
    ws, ch = await bootstrap_ids(http)
    bob = await sign_up(http, "reader@example.com")
    await add_member(http, ws, bob.user_id)
    for i in range(3):
        await post(http, ch, f"m{i}")
    r = await http.post(f"/api/channels/{ch}/read", json={"seq": 99}, headers=bob.headers)
    assert r.json()["receipt"]["last_read_seq"] == 3  # capped at the last root
    r = await http.post(f"/api/channels/{ch}/read", json={"seq": 1}, headers=bob.headers)
    assert r.json()["receipt"]["last_read_seq"] == 3  # never backwards
    assert (await http.post(f"/api/channels/{ch}/read", json={"seq": -1},
                            headers=bob.headers)).status_code == 400
    reads = [e for e in await events_of(http, ws) if e["type"] == "channel.read"]
    assert reads == []  # the captain never sees Bob's read event
    bobs = (await http.get("/api/realtime/events", params={"workspace_id": ws},
                           headers=bob.headers)).json()["events"]
    assert [e["seq"] for e in bobs if e["type"] == "channel.read"] == [3]
    chans = (await http.get(f"/api/workspaces/{ws}/channels", headers=bob.headers)).json()
    assert next(c for c in chans["channels"] if c["id"] == ch)["unread_count"] == 0
    _ = trio


async def test_topics_label_messages_and_filter_pages(http):
    ws, ch = await bootstrap_ids(http)
    r = await http.post(f"/api/workspaces/{ws}/topics", json={"name": "Release", "channel_id": ch})
    assert r.status_code == 201, r.text
    topic = r.json()["topic"]
    wide = (await http.post(f"/api/workspaces/{ws}/topics", json={"name": "Ops"})).json()["topic"]
    assert (await http.post(f"/api/workspaces/{ws}/topics", json={"name": "Ops"})
            ).status_code == 409
    names = [t["name"] for t in (await http.get(f"/api/workspaces/{ws}/topics")
                                 ).json()["topics"]]
    assert names == ["Ops", "Release"]
    tagged = (await post(http, ch, "shipping today", topic_id=topic["id"]))
    assert tagged["message"]["topic_id"] == topic["id"]
    assert tagged["event"]["payload"]["topic_id"] == topic["id"]
    await post(http, ch, "unrelated chatter")
    await post(http, ch, "ops note", topic_id=wide["id"])
    page = (await http.get(f"/api/channels/{ch}/messages", params={"topic_id": topic["id"]})
            ).json()
    assert [m["body"] for m in page["messages"]] == ["shipping today"]
    other = (await http.post(f"/api/workspaces/{ws}/channels", json={"name": "topic-2"})
             ).json()["channel"]["id"]
    r = await http.post(f"/api/channels/{other}/messages",
                        json={"body": "x", "topic_id": topic["id"]})
    assert r.status_code == 404 and r.json()["code"] == "topic_invalid"
    r = await http.get(f"/api/channels/{ch}/messages", params={"topic_id": ""})
    assert r.status_code == 400
