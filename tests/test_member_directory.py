"""The member directory (contract 5, WorkspaceMemberPage): order across keyset pages, totals on
the first page only, q and role filters, cursors bound to their query, D2/D3, bots' scope, and
sort keys kept current by the transactions that change names and roles."""

from __future__ import annotations

import sqlite3

from clickclack.actor import Actor
from clickclack.store import workspaces
from clickclack.store.accounts import token_hash
from clickclack.store.connection import open_read
from tests.conftest import sign_up
from tests.helpers import add_member, run_tx

RANK = {"owner": 0, "moderator": 1, "member": 2, "bot": 3, "guest": 4}

# (id, display_name, handle, kind, role): names chosen to exercise every tie-breaker: case,
# empty names (fall back to the handle, then the id), equal names (handle decides), equal
# name and handle (id decides), non-ASCII capitals.
PEOPLE = [
    ("usr_01jv00000000000000000000a1", "alice", "zed", "human", "member"),
    ("usr_01jv00000000000000000000a2", "Alice", "amy", "human", "member"),
    ("usr_01jv00000000000000000000a3", "ALICE", "", "human", "member"),
    ("usr_01jv00000000000000000000a4", "bob", "", "human", "moderator"),
    ("usr_01jv00000000000000000000a5", "", "Carol", "human", "member"),
    ("usr_01jv00000000000000000000a6", "", "", "human", "guest"),
    ("usr_01jv00000000000000000000a7", "Émile", "emile", "human", "member"),
    ("usr_01jv00000000000000000000a8", "Zoe", "zoe", "human", "moderator"),
    ("usr_01jv00000000000000000000a9", "dave", "d1", "human", "guest"),
    ("usr_01jv00000000000000000000b1", "Helper", "helper-bot", "bot", "bot"),
    ("usr_01jv00000000000000000000b2", "helper", "helper-bot2", "bot", "bot"),
    ("usr_01jv00000000000000000000b3", "same", "same", "human", "member"),
    ("usr_01jv00000000000000000000b0", "Same", "SAME2", "human", "member"),
    ("usr_01jv00000000000000000000b4", "  Padded  ", "", "human", "member"),
]


def _insert_people(tx, workspace_id, people):
    for uid, name, handle, kind, role in people:
        tx.execute("INSERT INTO users (id, kind, display_name, handle, created_at)"
                   " VALUES (?, ?, ?, ?, ?)", (uid, kind, name, handle, tx.now))
        workspaces.add_member(tx, workspace_id, uid, role)


def expected_order(rows):
    """The contract's order, computed independently of the store."""
    def key(r):
        uid, name, handle, _, role = r
        shown = name.strip() or handle or uid
        return (RANK[role], shown.lower(), handle.lower(), uid)
    return [r[0] for r in sorted(rows, key=key)]


async def setup_directory(http, server):
    r = await http.post("/api/workspaces", json={"name": "Directory"})
    ws = r.json()["workspace"]["id"]
    run_tx(str(server.config.db_path), _insert_people, ws, PEOPLE)
    me = (await http.get("/api/me")).json()["user"]
    everyone = [*PEOPLE, (me["id"], me["display_name"], me["handle"], "human", "owner")]
    return ws, everyone


async def get_page(http, ws, expect=200, **params):
    r = await http.get(f"/api/workspaces/{ws}/members", params=params)
    assert r.status_code == expect, r.text
    return r.json()


async def walk(http, ws, limit, **params):
    """Every page in order; returns (user ids, pages)."""
    pages = [await get_page(http, ws, limit=limit, **params)]
    while pages[-1]["has_more"]:
        pages.append(await get_page(http, ws, limit=limit, cursor=pages[-1]["next_cursor"],
                                    **params))
        assert len(pages) < 100
    return [m["user"]["id"] for p in pages for m in p["members"]], pages


async def test_order_across_pages_with_mixed_roles_and_names(http, server):
    ws, everyone = await setup_directory(http, server)
    want = expected_order(everyone)
    for limit in (1, 2, 3, 4, 200):
        got, pages = await walk(http, ws, limit)
        assert got == want, limit
        assert all(len(p["members"]) == limit for p in pages[:-1])
        assert not pages[-1]["has_more"] and "next_cursor" not in pages[-1]
    # spot-check the tie-breakers the fixture was built for
    assert want.index("usr_01jv00000000000000000000a2") < want.index(
        "usr_01jv00000000000000000000a1")  # alice/amy before alice/zed
    assert want[0] == everyone[-1][0]  # the owner first
    page = await get_page(http, ws, limit=200)
    first = page["members"][0]
    assert set(first) == {"workspace_id", "user", "role", "joined_at"}
    assert first["workspace_id"] == ws and first["role"] == "owner"
    assert {"id", "kind", "display_name", "handle", "avatar_url", "created_at"} <= set(
        first["user"])
    roles = [m["role"] for m in page["members"]]
    assert roles == sorted(roles, key=RANK.__getitem__)
    bots = [m for m in page["members"] if m["role"] == "bot"]
    assert [b["user"]["kind"] for b in bots] == ["bot", "bot"]


async def test_totals_only_on_the_first_page(http, server):
    ws, everyone = await setup_directory(http, server)
    first = await get_page(http, ws, limit=5)
    assert first["total_count"] == len(everyone)
    assert first["total_by_role"] == {"owner": 1, "moderator": 2, "member": 8, "bot": 2,
                                      "guest": 2}
    second = await get_page(http, ws, limit=5, cursor=first["next_cursor"])
    assert "total_count" not in second and "total_by_role" not in second
    # with a filter: total_count (of the matches), never total_by_role
    by_role = await get_page(http, ws, limit=1, role="moderator")
    assert by_role["total_count"] == 2 and "total_by_role" not in by_role
    searched = await get_page(http, ws, limit=1, q="alice")
    assert searched["total_count"] == 3 and "total_by_role" not in searched
    # an empty q is no q
    blank = await get_page(http, ws, q="  ")
    assert blank["total_by_role"]["member"] == 8
    # zero counts are sent as zeros (never dropped)
    r = await http.post("/api/workspaces", json={"name": "Lonely"})
    alone = await get_page(http, r.json()["workspace"]["id"])
    assert alone["total_by_role"] == {"owner": 1, "moderator": 0, "member": 0, "bot": 0,
                                      "guest": 0}
    assert alone["total_count"] == 1 and not alone["has_more"]


async def test_q_is_a_case_insensitive_substring_of_name_or_handle(http, server):
    ws, everyone = await setup_directory(http, server)

    async def ids(**params):
        got, _ = await walk(http, ws, 2, **params)
        return got

    def matching(needle):
        out = []
        for r in everyone:
            uid, name, handle, _, _ = r
            shown = (name.strip() or handle or uid).lower()
            if needle in shown or needle in handle.lower():
                out.append(r)
        return expected_order(out)

    for q in ("ALI", "alice", "zed", "help", "émile", "ÉMI", "carol", "same", "a", "  bob "):
        assert await ids(q=q) == matching(q.strip().lower()), q
    assert await ids(q="nobody-has-this") == []
    assert await ids(q="%") == []  # no LIKE wildcards
    # an empty display name falls back to the handle, then to the id (so "_" finds only the
    # person known by their id: it is a character here, not a wildcard)
    assert await ids(q="00000000a6") == ["usr_01jv00000000000000000000a6"]
    assert await ids(q="_") == ["usr_01jv00000000000000000000a6"]
    # q and role together
    assert await ids(q="alice", role="member") == matching("alice")
    assert await ids(q="e", role="bot") == ["usr_01jv00000000000000000000b1",
                                            "usr_01jv00000000000000000000b2"]


async def test_role_filter(http, server):
    ws, everyone = await setup_directory(http, server)
    for role in RANK:
        got, _ = await walk(http, ws, 1, role=role)
        assert got == expected_order([r for r in everyone if r[4] == role]), role
    await get_page(http, ws, 400, role="admin")


async def test_cursors_are_bound_to_q_role_and_workspace(http, server):
    ws, _ = await setup_directory(http, server)
    plain = (await get_page(http, ws, limit=2))["next_cursor"]
    by_q = (await get_page(http, ws, limit=1, q="alice"))["next_cursor"]
    by_role = (await get_page(http, ws, limit=1, role="member"))["next_cursor"]

    async def code(**params):
        r = await http.get(f"/api/workspaces/{ws}/members", params=params)
        assert r.status_code == 400, r.text
        return r.json()["code"]

    assert await code(cursor=plain, q="alice") == "cursor_mismatch"
    assert await code(cursor=plain, role="member") == "cursor_mismatch"
    assert await code(cursor=by_q) == "cursor_mismatch"
    assert await code(cursor=by_q, q="bob") == "cursor_mismatch"
    assert await code(cursor=by_role, role="guest") == "cursor_mismatch"
    assert await code(cursor=by_role) == "cursor_mismatch"
    # the same query, differently spelled, is the same query
    assert (await get_page(http, ws, cursor=by_q, q=" ALICE "))["members"]
    for junk in ("nope", "e30", "W10", "x" * 300, plain[:-3]):
        assert await code(cursor=junk) == "invalid_cursor", junk
    # a cursor from another workspace's listing is not a cursor of this one
    r = await http.post("/api/workspaces", json={"name": "Other"})
    other = r.json()["workspace"]["id"]
    await add_member(http, other, "usr_01jv00000000000000000000a1")
    foreign = (await get_page(http, other, limit=1))["next_cursor"]
    assert await code(cursor=foreign) == "invalid_cursor"


async def test_limit_range_and_query_validation(http, server):
    ws, _ = await setup_directory(http, server)
    for bad in ("0", "201", "-1", "abc", "1.5"):
        r = await http.get(f"/api/workspaces/{ws}/members", params={"limit": bad})
        assert (r.status_code, r.json()["code"]) == (400, "validation_failed"), bad
        assert "1 to 200" in r.json()["detail"]
    assert len((await get_page(http, ws))["members"]) == 15  # default 100 covers everyone
    assert len((await get_page(http, ws, limit=200))["members"]) == 15
    await get_page(http, ws, 400, q="x" * 101)


async def test_outsiders_get_404_members_and_guests_may_list(http, server):
    ws, _ = await setup_directory(http, server)
    outsider = await sign_up(http, "out@example.com")
    r = await http.get(f"/api/workspaces/{ws}/members", headers=outsider.headers)
    assert (r.status_code, r.json()["code"]) == (404, "workspace_not_found")
    r = await http.get("/api/workspaces/wsp_missing/members", headers=outsider.headers)
    assert r.status_code == 404
    guest = {"X-ClickClack-User": "usr_01jv00000000000000000000a6"}
    r = await http.get(f"/api/workspaces/{ws}/members", headers=guest)
    assert r.status_code == 200 and r.json()["total_count"] == 15
    # moderation state is never part of the page
    assert all(set(m) == {"workspace_id", "user", "role", "joined_at"}
               for m in r.json()["members"])


async def test_bots_need_workspaces_read_and_their_own_workspace(http, server):
    ws, _ = await setup_directory(http, server)
    r = await http.post("/api/workspaces", json={"name": "Elsewhere"})
    elsewhere = r.json()["workspace"]["id"]
    bot_id = "usr_01jv00000000000000000000b1"
    await add_member(http, elsewhere, bot_id, "bot")
    with_scope, without = "ccb_" + "r" * 52, "ccb_" + "n" * 52

    def tokens(tx):
        for tid, tok, scopes in (("btok_r", with_scope, '["workspaces:read"]'),
                                 ("btok_n", without, '["messages:read"]')):
            tx.execute("INSERT INTO bot_tokens (id, token_hash, bot_user_id, workspace_id,"
                       " scopes_json, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (tid, token_hash(tok), bot_id, ws, scopes, tx.now))

    run_tx(str(server.config.db_path), tokens)
    good = {"Authorization": f"Bearer {with_scope}"}
    r = await http.get(f"/api/workspaces/{ws}/members", headers=good)
    assert r.status_code == 200 and r.json()["total_count"] == 15
    r = await http.get(f"/api/workspaces/{ws}/members",
                       headers={"Authorization": f"Bearer {without}"})
    assert (r.status_code, r.json()["code"]) == (403, "missing_scope")
    # the token is bound to its workspace, even one the bot has also joined
    r = await http.get(f"/api/workspaces/{elsewhere}/members", headers=good)
    assert r.status_code == 404


async def test_sort_keys_follow_renames_and_role_changes(http, server):
    ws, everyone = await setup_directory(http, server)
    db = str(server.config.db_path)
    zoe = "usr_01jv00000000000000000000a8"

    def rename(tx, uid, name, handle):
        tx.execute("UPDATE users SET display_name = ?, handle = ? WHERE id = ?",
                   (name, handle, uid))
        workspaces.refresh_member_sort_keys(tx, uid)

    run_tx(db, rename, zoe, "Ångström", "aa")
    everyone = [(r[0], "Ångström", "aa", r[3], r[4]) if r[0] == zoe else r for r in everyone]
    got, _ = await walk(http, ws, 3)
    assert got == expected_order(everyone)
    got, _ = await walk(http, ws, 3, q="ÅNG")
    assert got == [zoe]
    # a role change moves the member to their new group (role_sort is derived from role)
    alice = "usr_01jv00000000000000000000a1"
    r = await http.post(f"/api/workspaces/{ws}/transfer-ownership", json={"user_id": alice})
    assert r.status_code == 200, r.text
    me = everyone[-1][0]
    everyone = [(r[0], r[1], r[2], r[3], "owner" if r[0] == alice else
                 "moderator" if r[0] == me else r[4]) for r in everyone]
    got, _ = await walk(http, ws, 4)
    assert got == expected_order(everyone)
    assert got[0] == alice


def test_sort_keys_without_the_python_helper_still_sort_ascii_names(tmp_path):
    """A membership inserted, or a name changed, by code that does not compute the keys still
    gets them (the migration's triggers), so the directory never shows blank-keyed rows."""
    from clickclack.store import migrate
    from clickclack.store.connection import open_write

    conn = open_write(tmp_path / "db.sqlite")
    migrate.apply(conn)
    conn.execute("INSERT INTO users (id, display_name, handle, created_at)"
                 " VALUES ('usr_1', '  Quinn ', 'QX', 't')")
    conn.execute("INSERT INTO workspaces (id, route_id, name, slug, created_at)"
                 " VALUES ('wsp_1', 'T1', 'W', 'w', 't')")
    conn.execute("INSERT INTO workspace_members (workspace_id, user_id, role, created_at)"
                 " VALUES ('wsp_1', 'usr_1', 'member', 't')")

    def keys():
        return tuple(conn.execute("SELECT role_sort, sort_name, sort_handle FROM"
                                  " workspace_members WHERE user_id = 'usr_1'").fetchone())

    assert keys() == (2, "quinn", "qx")
    conn.execute("UPDATE users SET display_name = '', handle = 'Quill' WHERE id = 'usr_1'")
    assert keys() == (2, "quill", "quill")
    conn.execute("UPDATE workspace_members SET role = 'guest'")
    assert keys()[0] == 4
    assert workspaces.member_sort_keys("", "", "usr_1") == ("usr_1", "")
    assert workspaces.member_sort_keys(" ÉMILE ", "ÉM", "usr_1") == ("émile", "ém")


async def test_pages_are_index_range_scans(http, server):
    """Keyset pagination on the (workspace, role, name, handle, id) index: no OFFSET, no
    table scan, no sort step -- for plain, role-filtered and continued pages."""
    ws, _ = await setup_directory(http, server)
    conn = open_read(server.config.db_path)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    actor = Actor((await http.get("/api/me")).json()["user"]["id"])
    page = workspaces.member_page(conn, actor, ws, 2)
    workspaces.member_page(conn, actor, ws, 2, page.next_cursor)
    role_page = workspaces.member_page(conn, actor, ws, 1, None, None, "member")
    workspaces.member_page(conn, actor, ws, 1, role_page.next_cursor, None, "member")
    conn.set_trace_callback(None)
    selects = [s for s in statements if "ORDER BY m.role_sort" in s]
    assert len(selects) == 4
    for sql in selects:
        assert "OFFSET" not in sql.upper()
        plan = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "USING INDEX workspace_members_page" in plan, plan
        assert "TEMP B-TREE" not in plan and "SCAN m" not in plan, plan
    conn.close()


def test_the_page_index_exists_with_the_contract_columns(tmp_path):
    from clickclack.store import migrate
    from clickclack.store.connection import open_write

    conn = open_write(tmp_path / "db.sqlite")
    migrate.apply(conn)
    conn.row_factory = sqlite3.Row
    cols = [r["name"] for r in conn.execute(
        "SELECT name FROM pragma_index_info('workspace_members_page') ORDER BY seqno")]
    assert cols == ["workspace_id", "role_sort", "sort_name", "sort_handle", "user_id"]
