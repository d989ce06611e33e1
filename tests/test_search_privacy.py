"""Search privacy (contract 15, D2, D8): another workspace's messages, private channels the
caller is not in, DMs the caller is not in and everything but #guest for guests are never
returned; members do find them.  Bot tokens: messages:read, dms:read, one workspace."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bootstrap_ids, sign_up
from tests.helpers import add_member, create_bot

SECRET = "quasar"  # every secret message holds this word


async def post(http: httpx.AsyncClient, channel: str, body: str, headers: Any = None
               ) -> dict[str, Any]:
    r = await http.post(f"/api/channels/{channel}/messages", json={"body": body},
                        headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["message"]  # type: ignore[no-any-return]


async def found(http: httpx.AsyncClient, ws: str, q: str, headers: Any = None,
                **params: Any) -> list[str]:
    r = await http.get("/api/search", params={"workspace_id": ws, "q": q, **params},
                       headers=headers)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["results"]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_another_workspace_is_never_searched(http):
    ws, ch = await bootstrap_ids(http)
    mine = await post(http, ch, f"{SECRET} at home")
    other = await sign_up(http, "other@example.com", "Other")
    theirs = (await http.post("/api/workspaces", json={"name": "Elsewhere"},
                              headers=other.headers)).json()["workspace"]["id"]
    their_general = next(c["id"] for c in (await http.get(
        f"/api/workspaces/{theirs}/channels", headers=other.headers)).json()["channels"]
        if c["name"] == "general")
    foreign = await post(http, their_general, f"{SECRET} abroad", other.headers)
    assert await found(http, ws, SECRET) == [mine["id"]]
    assert await found(http, ws, "uasa") == [mine["id"]]  # the substring index too
    assert await found(http, theirs, SECRET, other.headers) == [foreign["id"]]
    # Not a member: 404, whatever the scope parameters.
    for params in ({}, {"channel_id": their_general}, {"q": ""}):
        r = await http.get("/api/search", params={"workspace_id": theirs, "q": SECRET,
                                                  **params})
        assert r.status_code == 404, (params, r.text)
        assert foreign["id"] not in r.text
    # A channel of the other workspace named while searching ours: 404, not its messages.
    r = await http.get("/api/search", params={"workspace_id": ws, "q": SECRET,
                                              "channel_id": their_general},
                       headers=other.headers)
    assert r.status_code == 404
    await add_member(http, theirs, (await http.get("/api/me")).json()["user"]["id"])
    r = await http.get("/api/search", params={"workspace_id": ws, "q": SECRET,
                                              "channel_id": their_general})
    assert r.status_code == 404  # a member of both: still only the workspace asked for
    assert await found(http, theirs, SECRET) == [foreign["id"]]


async def test_private_channels_only_for_their_members(http):
    ws, ch = await bootstrap_ids(http)
    member = await sign_up(http, "member@example.com", "Member")
    await add_member(http, ws, member.user_id)
    r = await http.post(f"/api/workspaces/{ws}/channels", json={"name": "vault",
                                                                "kind": "private"})
    vault = r.json()["channel"]["id"]
    hidden = await post(http, vault, f"{SECRET} in the vault")
    public = await post(http, ch, f"{SECRET} for all")
    assert await found(http, ws, SECRET) == [public["id"], hidden["id"]]  # the owner is in
    assert await found(http, ws, SECRET, member.headers) == [public["id"]]
    assert await found(http, ws, "in the vault", member.headers) == []
    assert await found(http, ws, "in:#vault", member.headers) == []
    assert await found(http, ws, f"{SECRET} in:vault", member.headers) == []
    r = await http.get("/api/search", params={"workspace_id": ws, "q": SECRET,
                                              "channel_id": vault}, headers=member.headers)
    assert r.status_code == 404
    r = await http.post(f"/api/channels/{vault}/members", json={"user_id": member.user_id})
    assert r.status_code == 200, r.text
    assert await found(http, ws, SECRET, member.headers) == [public["id"], hidden["id"]]
    assert await found(http, ws, SECRET, member.headers, channel_id=vault) == [hidden["id"]]
    r = await http.delete(f"/api/channels/{vault}/members/{member.user_id}")
    assert r.status_code == 200
    assert await found(http, ws, SECRET, member.headers) == [public["id"]]


async def test_dms_only_for_their_members(http):
    ws, ch = await bootstrap_ids(http)
    ann, ben, cat = [await sign_up(http, f"{n}@example.com", n) for n in ("ann", "ben", "cat")]
    for p in (ann, ben, cat):
        await add_member(http, ws, p.user_id)
    dm = (await http.post("/api/dms", json={"workspace_id": ws, "member_ids": [ben.user_id]},
                          headers=ann.headers)).json()["conversation"]["id"]
    r = await http.post(f"/api/dms/{dm}/messages", json={"body": f"{SECRET} between us"},
                        headers=ann.headers)
    secret = r.json()["message"]
    public = await post(http, ch, f"{SECRET} out loud")
    # Workspace-wide search includes the caller's own DMs (D8; upstream left DMs out).
    for who in (ann, ben):
        assert await found(http, ws, SECRET, who.headers) == [public["id"], secret["id"]]
        r = await http.get("/api/search", params={"workspace_id": ws, "q": "between"},
                           headers=who.headers)
        (hit,) = r.json()["results"]
        assert hit["direct_conversation_id"] == dm and "channel_id" not in hit
    assert await found(http, ws, SECRET, cat.headers) == [public["id"]]
    assert await found(http, ws, "between us", cat.headers) == []
    assert await found(http, ws, SECRET) == [public["id"]]  # the owner is not in the DM
    r = await http.get("/api/search", params={"workspace_id": ws, "q": SECRET,
                                              "direct_conversation_id": dm},
                       headers=cat.headers)
    assert r.status_code == 404
    assert await found(http, ws, SECRET, ann.headers, direct_conversation_id=dm) == [
        secret["id"]]


async def test_guests_search_only_guest(http):
    ws, ch = await bootstrap_ids(http)
    g = await sign_up(http, "guest@example.com", "Gus")
    await add_member(http, ws, g.user_id)
    r = await http.patch(f"/api/workspaces/{ws}/moderation/members/{g.user_id}",
                         json={"role": "guest"})
    assert r.status_code == 200, r.text
    room = next(c["id"] for c in (await http.get(f"/api/workspaces/{ws}/channels")
                                  ).json()["channels"] if c["name"] == "guest")
    inside = await post(http, room, f"{SECRET} for guests")
    await post(http, ch, f"{SECRET} for members")
    assert await found(http, ws, SECRET, g.headers) == [inside["id"]]
    assert await found(http, ws, "members", g.headers) == []
    assert await found(http, ws, "in:#general", g.headers) == []
    r = await http.get("/api/search", params={"workspace_id": ws, "q": SECRET,
                                              "channel_id": ch}, headers=g.headers)
    assert r.status_code == 404


async def test_bot_tokens_need_messages_read_and_dms_read(http):
    ws, ch = await bootstrap_ids(http)
    public = await post(http, ch, f"{SECRET} for bots")
    no_read = (await create_bot(http, ws, display_name="Writer",
                                scopes=["messages:write"]))["bot_token"]["token"]
    r = await http.get("/api/search", params={"workspace_id": ws, "q": SECRET},
                       headers=bearer(no_read))
    assert r.status_code == 403 and r.json()["code"] == "missing_scope"
    assert r.headers["content-type"].startswith("application/problem+json")

    made = await create_bot(http, ws, display_name="Reader", scopes=["messages:read"])
    reader, bot_id = made["bot_token"]["token"], made["bot"]["id"]
    dm = (await http.post("/api/dms", json={"workspace_id": ws, "member_ids": [bot_id]})
          ).json()["conversation"]["id"]
    r = await http.post(f"/api/dms/{dm}/messages", json={"body": f"{SECRET} to the bot"})
    assert r.status_code == 201, r.text
    in_dm = r.json()["message"]["id"]
    assert await found(http, ws, SECRET, bearer(reader)) == [public["id"]]  # no dms:read
    r = await http.get("/api/search", params={"workspace_id": ws, "q": SECRET,
                                              "direct_conversation_id": dm},
                       headers=bearer(reader))
    assert r.status_code == 403 and r.json()["code"] == "missing_scope"
    full = (await create_bot(http, ws, display_name="Full",
                             scopes=["bot:read"]))
    r = await http.post("/api/dms", json={"workspace_id": ws,
                                          "member_ids": [full["bot"]["id"]]})
    dm2 = r.json()["conversation"]["id"]
    r = await http.post(f"/api/dms/{dm2}/messages", json={"body": f"{SECRET} to full"})
    in_dm2 = r.json()["message"]["id"]
    token = bearer(full["bot_token"]["token"])
    assert await found(http, ws, SECRET, token) == [in_dm2, public["id"]]  # its own DM only
    assert in_dm not in await found(http, ws, SECRET, token)
    # Bound to its workspace: another workspace is not found, even after the bot joins it.
    other = (await http.post("/api/workspaces", json={"name": "Other"})).json()["workspace"]
    await add_member(http, other["id"], full["bot"]["id"], "bot")
    r = await http.get("/api/search", params={"workspace_id": other["id"], "q": SECRET},
                       headers=token)
    assert r.status_code == 404
