"""Message search, GET /api/search (contract 15 with D8): word, prefix, substring and phrase
matches, every operator, newest-first cursor paging, snippets with highlight ranges in code
points, edits and deletes reflected at once, and the parameter rules."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bootstrap_ids, sign_up
from tests.helpers import add_member, run_sql


async def post(http: httpx.AsyncClient, channel: str, body: str, headers: Any = None
               ) -> dict[str, Any]:
    r = await http.post(f"/api/channels/{channel}/messages", json={"body": body},
                        headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["message"]  # type: ignore[no-any-return]


async def search(http: httpx.AsyncClient, ws: str, q: str, headers: Any = None,
                 **params: Any) -> httpx.Response:
    return await http.get("/api/search", params={"workspace_id": ws, "q": q, **params},
                          headers=headers)


async def found(http: httpx.AsyncClient, ws: str, q: str, headers: Any = None,
                **params: Any) -> list[str]:
    """The ids found, newest first (one page)."""
    r = await search(http, ws, q, headers, **params)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["results"]]


async def test_words_stems_prefixes_and_substrings(http):
    ws, ch = await bootstrap_ids(http)
    host = await post(http, ch, "the hostname is db1.example.com today")
    deploy = await post(http, ch, "deploying the release now")
    late = await post(http, ch, "Running late, sorry")
    url = await post(http, ch, "logs at https://ci.example.com/builds/4711 please")
    await post(http, ch, "nothing to see here")
    assert await found(http, ws, "hostname") == [host["id"]]  # a word
    assert await found(http, ws, "deployed") == [deploy["id"]]  # same stem
    assert await found(http, ws, "runs") == [late["id"]]  # same stem, no common substring
    assert await found(http, ws, "stna") == [host["id"]]  # inside a word
    assert await found(http, ws, "hostn") == [host["id"]]  # a word being typed
    assert await found(http, ws, "builds/47") == [url["id"]]  # a piece of a URL
    assert await found(http, ws, "CI.EXAMPLE") == [url["id"]]  # case-insensitive
    assert await found(http, ws, "example.com") == [url["id"], host["id"]]  # newest first
    assert await found(http, ws, "db") == [host["id"]]  # two characters: a word prefix
    assert await found(http, ws, "d*") == [deploy["id"], host["id"]]  # 1-char word prefix
    assert await found(http, ws, "s") == []  # one character: the whole word
    assert await found(http, ws, "a") == []
    assert await found(http, ws, "is") == [host["id"]]  # prefix of words: is
    assert await found(http, ws, "example release") == []  # every term must match
    assert await found(http, ws, "hostname today") == [host["id"]]
    assert await found(http, ws, "zzzq") == []
    assert await found(http, ws, "!!") == []  # no letters or digits, too short for substrings


async def test_quoted_phrases(http):
    ws, ch = await bootstrap_ids(http)
    a = await post(http, ch, "the deploy failed again")
    b = await post(http, ch, "failed to deploy")
    assert await found(http, ws, '"deploy failed"') == [a["id"]]
    assert await found(http, ws, '"deployed fail"') == [a["id"]]  # stemmed words in sequence
    assert await found(http, ws, "deploy failed") == [b["id"], a["id"]]
    assert await found(http, ws, '"to deploy"') == [b["id"]]
    assert await found(http, ws, '"ploy fail"') == [a["id"]]  # the exact text as a substring
    assert await found(http, ws, '"unterminated phrase') == []


async def test_newest_first_with_cursor_paging_and_no_duplicates(http):
    ws, ch = await bootstrap_ids(http)
    ids = [(await post(http, ch, f"paging item number {i}"))["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        r = await search(http, ws, "item", **params)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [x["id"] for x in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == ids[::-1]
    # A message posted meanwhile does not disturb the next page (it is newer than the cursor).
    r = await search(http, ws, "item", limit=3)
    first = r.json()
    await post(http, ch, "paging item number late")
    second = (await search(http, ws, "item", limit=3, cursor=first["next_cursor"])).json()
    assert [x["id"] for x in second["results"]] == ids[::-1][3:6]


async def test_cursor_is_bound_to_user_workspace_scope_and_query(http):
    ws, ch = await bootstrap_ids(http)
    for i in range(3):
        await post(http, ch, f"bound cursor {i}")
    cursor = (await search(http, ws, "bound", limit=1)).json()["next_cursor"]
    assert cursor
    other = await sign_up(http, "cursor@example.com")
    await add_member(http, ws, other.user_id)
    for params, headers in [({"q": "cursor"}, None), ({"channel_id": ch}, None),
                            ({"q": "bound"}, other.headers)]:
        r = await http.get("/api/search", params={"workspace_id": ws, "q": "bound", "limit": 1,
                                                  "cursor": cursor, **params}, headers=headers)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["code"] == "cursor_mismatch"
        assert "stale or mismatched cursor" in r.json()["detail"]
    r = await search(http, ws, "bound", limit=1, cursor="not-a-cursor")
    assert r.status_code == 400 and r.json()["code"] == "cursor_mismatch"
    r = await search(http, ws, "bound", limit=1, cursor=cursor)
    assert r.status_code == 200


async def test_parameter_rules(http):
    ws, ch = await bootstrap_ids(http)
    await post(http, ch, "parameter rules")
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"sort": "relevance"},
                   {"q": "x" * 501}, {"channel_id": ch, "direct_conversation_id": "dm_x"},
                   {"q": "before:yesterday"}, {"q": "has:reaction"}, {"q": "is:dm"}):
        r = await http.get("/api/search", params={"workspace_id": ws, "q": "rules", **params})
        assert r.status_code == 400, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await http.get("/api/search", params={"q": "rules"})
    assert r.status_code == 400  # workspace_id is required
    assert len(await found(http, ws, "rules", limit=100)) == 1
    assert len(await found(http, ws, "  " + "x" * 500 + "  ")) == 0  # trimmed first
    r = await http.get("/api/search", params={"workspace_id": ws})  # no q: like an empty q
    assert r.status_code == 200 and r.json() == {"results": [], "next_cursor": None}
    for q in ("", "   ", '""', "in:", "from:"):  # empty (or operators still being typed)
        r = await search(http, ws, q)
        assert r.status_code == 200 and r.json() == {"results": [], "next_cursor": None}, q
    assert (await search(http, "ws_" + "0" * 26, "rules")).status_code == 404
    assert (await search(http, ws, "rules", channel_id="chn_" + "0" * 26)).status_code == 404


async def test_snippets_and_highlights_are_in_code_points(http):
    ws, ch = await bootstrap_ids(http)
    body = "🎉🎉 Café déjà vu: the hostname 🚀 is ready"
    m = await post(http, ch, body)
    (hit,) = (await search(http, ws, "hostname")).json()["results"]
    assert hit["id"] == m["id"] and hit["snippet"] == body
    start = body.index("hostname")  # code points: each emoji counts 1
    assert hit["highlights"] == [{"start": start, "end": start + len("hostname")}]
    (hit,) = (await search(http, ws, "deja cafe")).json()["results"]  # accents folded
    spans = [hit["snippet"][h["start"]:h["end"]] for h in hit["highlights"]]
    assert spans == ["Café", "déjà"]
    (hit,) = (await search(http, ws, '"ready" stname')).json()["results"]
    assert [hit["snippet"][h["start"]:h["end"]] for h in hit["highlights"]] == ["stname", "ready"]

    # A long body: a bounded snippet around the first match, cut with an ellipsis.
    long_body = ("ø" * 30 + " ") * 20 + "needle🚀in the haystack " + ("é" * 30 + " ") * 20
    await post(http, ch, long_body)
    (hit,) = (await search(http, ws, "needle")).json()["results"]
    snip = hit["snippet"]
    assert snip.startswith("…") and snip.endswith("…") and len(snip) <= 202
    (h,) = hit["highlights"]
    assert snip[h["start"]:h["end"]] == "needle"
    assert snip[h["end"]] == "🚀"
    # Newlines become spaces (one for one, so ranges stay right).
    m = await post(http, ch, "line one\nline two\twith tabs")
    (hit,) = (await search(http, ws, "tabs")).json()["results"]
    assert hit["snippet"] == "line one line two with tabs"
    assert hit["highlights"] == [{"start": 23, "end": 27}]


async def test_result_fields(http):
    ws, ch = await bootstrap_ids(http)
    root = await post(http, ch, "fields root message")
    r = await http.post(f"/api/messages/{root['id']}/thread/replies",
                        json={"body": "fields reply message"})
    assert r.status_code == 201
    reply = r.json()["message"]
    results = (await search(http, ws, "fields")).json()["results"]
    assert [x["id"] for x in results] == [reply["id"], root["id"]]
    rep, rt = results
    assert rt["channel_id"] == ch and rt["channel_name"] == "general"
    assert rt["workspace_id"] == ws and rt["thread_root_id"] == root["id"]
    assert rt["channel_seq"] == root["channel_seq"] and rt["reply_count"] == 1
    assert rt["last_reply_at"] == reply["created_at"] and rt["created_at"] == root["created_at"]
    assert rt["author"]["display_name"] == "Local Captain"
    assert "parent_message_id" not in rt and "body" not in rt and "rank" not in rt
    assert rep["parent_message_id"] == root["id"] and rep["thread_seq"] == 1
    assert rep["reply_count"] == 0 and "channel_seq" not in rep
    edited = await http.patch(f"/api/messages/{root['id']}", json={"body": "fields root v2"})
    assert edited.status_code == 200
    results = (await search(http, ws, "root")).json()["results"]
    assert results[0]["edited_at"] == edited.json()["message"]["edited_at"]


async def test_edits_are_found_at_once_and_deleted_messages_never(http):
    ws, ch = await bootstrap_ids(http)
    m = await post(http, ch, "alphanumeric secret plan")
    assert await found(http, ws, "alphanumeric") == [m["id"]]
    r = await http.patch(f"/api/messages/{m['id']}", json={"body": "betamax revised plan"})
    assert r.status_code == 200
    assert await found(http, ws, "alphanumeric") == []
    assert await found(http, ws, "phanum") == []
    assert await found(http, ws, "betamax") == [m["id"]]
    assert await found(http, ws, "tama") == [m["id"]]
    assert (await http.delete(f"/api/messages/{m['id']}")).status_code == 200
    for q in ("betamax", "tama", "plan", "revised", "from:@nobody plan"):
        assert await found(http, ws, q) == [], q
    # Operator-only listings skip deleted messages too.
    other = await post(http, ch, "survivor")
    assert await found(http, ws, f"in:#general on:{other['created_at'][:10]}") == [other["id"]]


async def test_from_and_in_operators(http):
    ws, ch = await bootstrap_ids(http)
    ann = await sign_up(http, "ann@example.com", "Ann")
    ben = await sign_up(http, "ben@example.com", "Ben")
    for p in (ann, ben):
        await add_member(http, ws, p.user_id)
    run_sql(http, "UPDATE users SET handle = 'ann' WHERE id = ?", ann.user_id)
    run_sql(http, "UPDATE users SET handle = 'ben' WHERE id = ?", ben.user_id)
    ops = (await http.post(f"/api/workspaces/{ws}/channels", json={"name": "ops"})
           ).json()["channel"]["id"]
    a1 = await post(http, ch, "status update from ann", ann.headers)
    b1 = await post(http, ch, "status update from ben", ben.headers)
    a2 = await post(http, ops, "ops status by ann", ann.headers)
    dm = (await http.post("/api/dms", json={"workspace_id": ws, "member_ids": [ben.user_id]},
                          headers=ann.headers)).json()["conversation"]["id"]
    r = await http.post(f"/api/dms/{dm}/messages", json={"body": "status in private"},
                        headers=ann.headers)
    d1 = r.json()["message"]
    assert await found(http, ws, "status from:@ann", ann.headers) == [d1["id"], a2["id"],
                                                                      a1["id"]]
    assert await found(http, ws, "status FROM:ann", ann.headers) == [d1["id"], a2["id"],
                                                                     a1["id"]]
    assert await found(http, ws, "status in:#ops", ann.headers) == [a2["id"]]
    assert await found(http, ws, "in:ops", ann.headers) == [a2["id"]]  # operators only
    assert await found(http, ws, "status in:#general", ann.headers) == [b1["id"], a1["id"]]
    assert await found(http, ws, "status in:@ben", ann.headers) == [d1["id"]]
    assert await found(http, ws, "status in:@ann", ben.headers) == [d1["id"]]
    assert await found(http, ws, "in:@ben", ann.headers) == [d1["id"]]
    assert await found(http, ws, "status in:#nowhere", ann.headers) == []
    assert await found(http, ws, "status from:@nobody", ann.headers) == []
    assert await found(http, ws, "status in:#ops in:#general", ann.headers) == []
    assert await found(http, ws, "status from:@ben in:#ops", ann.headers) == []
    # A channel_id parameter and in: agree or find nothing.
    assert await found(http, ws, "status in:#ops", ann.headers, channel_id=ops) == [a2["id"]]
    assert await found(http, ws, "status in:#general", ann.headers, channel_id=ops) == []
    assert await found(http, ws, "status", ann.headers, direct_conversation_id=dm) == [d1["id"]]


async def test_date_operators(http):
    ws, ch = await bootstrap_ids(http)
    ids = {}
    for day in ("2024-05-30", "2024-05-31", "2024-06-01"):
        m = await post(http, ch, f"dated note {day}")
        run_sql(http, "UPDATE messages SET created_at = ? WHERE id = ?",
                f"{day}T12:00:00.000000000Z", m["id"])
        ids[day] = m["id"]
    assert await found(http, ws, "dated on:2024-05-31") == [ids["2024-05-31"]]
    assert await found(http, ws, "dated before:2024-05-31") == [ids["2024-05-30"]]
    assert await found(http, ws, "dated after:2024-05-31") == [ids["2024-06-01"]]
    assert await found(http, ws, "dated after:2024-05-29 before:2024-06-01") == [
        ids["2024-05-31"], ids["2024-05-30"]]
    assert await found(http, ws, "before:2024-06-01 after:2024-05-30") == [ids["2024-05-31"]]
    assert await found(http, ws, "dated on:2024-05-31 on:2024-06-01") == []
    r = await search(http, ws, "dated on:2024-02-30")
    assert r.status_code == 400 and r.json()["code"] == "invalid_search_query"


async def test_has_and_is_operators(http):
    ws, ch = await bootstrap_ids(http)
    link = await post(http, ch, "flag see https://example.org/page")
    plain = await post(http, ch, "flag http: is not a link, nor is https:// alone")
    root = await post(http, ch, "flag thread root")
    r = await http.post(f"/api/messages/{root['id']}/thread/replies", json={"body": "flag reply"})
    reply = r.json()["message"]
    pinned = await post(http, ch, "flag pinned one")
    assert (await http.post(f"/api/channels/{ch}/pins", json={"message_id": pinned["id"]})
            ).status_code == 201
    filed = await post(http, ch, "flag with a file")
    assert await found(http, ws, "flag has:link") == [link["id"]]
    assert await found(http, ws, "has:link") == [link["id"]]
    assert await found(http, ws, "flag is:thread") == [reply["id"], root["id"]]
    assert await found(http, ws, "is:thread") == [reply["id"], root["id"]]
    assert await found(http, ws, "flag is:pinned") == [pinned["id"]]
    assert await found(http, ws, "is:pinned") == [pinned["id"]]
    assert await found(http, ws, "has:file") == []
    me = (await http.get("/api/me")).json()["user"]["id"]
    run_sql(http, "INSERT INTO uploads (id, workspace_id, owner_id, filename, content_type,"
            " byte_size, storage_path, created_at) VALUES ('upl_search', ?, ?, 'a.txt',"
            " 'text/plain', 1, 'upload-search', '2024-01-01T00:00:00.000000000Z')", ws, me)
    run_sql(http, "INSERT INTO message_attachments (message_id, upload_id, created_at)"
            " VALUES (?, 'upl_search', '2024-01-01T00:00:00.000000000Z')", filed["id"])
    assert await found(http, ws, "has:file") == [filed["id"]]
    assert await found(http, ws, "flag has:file") == [filed["id"]]
    assert await found(http, ws, "flag has:file is:pinned") == []
    assert plain["id"] not in await found(http, ws, "has:link")
