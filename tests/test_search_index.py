"""The search indexes and the search planner, in process (no server):

* the triggers keep both FTS5 indexes exactly equal to a rebuild from the messages table,
  through inserts, edits, soft deletes, kind changes and hard deletes;
* the migration backfills messages that existed before it;
* every plan (term-driven streams, scope walks, operator-only walks) and cursor paging give
  the same results as a row-by-row reference evaluation.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from clickclack.actor import Actor
from clickclack.store import migrate, search
from clickclack.store.connection import open_read, open_write
from clickclack.store.search import SearchParams

TS = "2024-05-01T12:00:00.000000000Z"
FTS_OPTIONS = {
    "message_search_words": "tokenize = 'porter unicode61', prefix = '2'",
    "message_search_trigrams": "tokenize = 'trigram', detail = 'none'",
}


def migrated(path: Path, directory: Path | None = None) -> sqlite3.Connection:
    conn = open_write(path, synchronous="NORMAL")
    migrate.apply(conn, directory)
    return conn


def base_rows(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO users (id, display_name, handle, created_at) VALUES"
                 " ('usr_me', 'Me', 'me', ?), ('usr_bob', 'Bob', 'bob', ?)", (TS, TS))
    conn.execute("INSERT INTO workspaces (id, route_id, name, slug, created_at)"
                 " VALUES ('wsp_1', 'W1', 'One', 'one', ?), ('wsp_2', 'W2', 'Two', 'two', ?)",
                 (TS, TS))
    conn.execute("INSERT INTO workspace_members (workspace_id, user_id, role, created_at)"
                 " VALUES ('wsp_1', 'usr_me', 'owner', ?), ('wsp_1', 'usr_bob', 'member', ?),"
                 " ('wsp_2', 'usr_bob', 'owner', ?)", (TS, TS, TS))
    for cid, ws, name, kind in [("chn_big", "wsp_1", "big", "public"),
                                ("chn_small", "wsp_1", "small", "public"),
                                ("chn_mine", "wsp_1", "mine", "private"),
                                ("chn_secret", "wsp_1", "secret", "private"),
                                ("chn_other", "wsp_2", "general", "public")]:
        conn.execute("INSERT INTO channels (id, route_id, workspace_id, name, kind, created_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (cid, "R" + cid, ws, name, kind, TS))
    conn.execute("INSERT INTO channel_members (channel_id, user_id, created_at) VALUES"
                 " ('chn_mine', 'usr_me', ?), ('chn_secret', 'usr_bob', ?)", (TS, TS))
    conn.execute("INSERT INTO direct_conversations (id, route_id, workspace_id, member_set_key,"
                 " created_at) VALUES ('dm_1', 'D1', 'wsp_1', 'usr_bob|usr_me', ?)", (TS,))
    conn.execute("INSERT INTO direct_conversation_members (conversation_id, user_id, created_at)"
                 " VALUES ('dm_1', 'usr_me', ?), ('dm_1', 'usr_bob', ?)", (TS, TS))


_seq: dict[str, int] = {}


def add_message(conn: sqlite3.Connection, mid: str, body: str, *, channel: str | None = None,
                dm: str | None = None, author: str = "usr_me", ws: str = "wsp_1",
                parent: str | None = None, kind: str = "message",
                deleted: bool = False, day: int = 1) -> None:
    where = channel or dm or ""
    seq = None
    key = parent or where
    _seq[key] = _seq.get(key, 0) + 1
    if parent is None:
        seq = _seq[where]
    conn.execute(
        "INSERT INTO messages (id, workspace_id, channel_id, direct_conversation_id, author_id,"
        " parent_message_id, thread_root_id, channel_seq, thread_seq, body, kind, created_at,"
        " deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (mid, ws, channel, dm, author, parent, parent or mid, seq,
         None if parent is None else _seq[key], body, kind,
         f"2024-05-{day:02d}T12:00:00.000000000Z", TS if deleted else None))
    if parent is not None:
        conn.execute("INSERT INTO thread_state (root_message_id, reply_count, last_reply_at)"
                     " VALUES (?, 1, ?) ON CONFLICT DO UPDATE SET reply_count = reply_count + 1",
                     (parent, TS))
    if seq is not None:
        table = "channels" if channel else "direct_conversations"
        conn.execute(f"UPDATE {table} SET last_seq = ? WHERE id = ?", (seq, where))


def index_snapshot(conn: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    kind = "row" if table.endswith("trigrams") else "instance"  # detail=none: no positions
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_{table} USING fts5vocab("
                 f"main, {table}, {kind})")
    return [tuple(r) for r in conn.execute(f"SELECT * FROM temp.v_{table} ORDER BY 1, 2, 3")]


def rebuilt_snapshot(conn: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    copy = f"check_{table}"
    conn.execute(f"CREATE VIRTUAL TABLE {copy} USING fts5(body,"
                 f" content = 'message_search_docs', content_rowid = 'rid',"
                 f" {FTS_OPTIONS[table]})")
    conn.execute(f"INSERT INTO {copy} ({copy}) VALUES ('rebuild')")
    snap = index_snapshot(conn, copy)
    conn.execute(f"DROP TABLE {copy}")
    return snap


def test_triggers_keep_both_indexes_equal_to_a_rebuild(tmp_path):
    conn = migrated(tmp_path / "t.db")
    base_rows(conn)
    conn.execute("BEGIN")
    for i in range(60):
        add_message(conn, f"msg_{i:03d}", f"note {i} about hostname-{i % 7}.example.com ✓ "
                    f"{'Déjà vu' if i % 3 else 'running deploys'}", channel="chn_big",
                    kind="message" if i % 11 else "system", deleted=i % 13 == 0)
    conn.execute("COMMIT")
    changes = [
        "UPDATE messages SET body = 'edited ' || body, edited_at = 'x' WHERE rowid % 4 = 0",
        "UPDATE messages SET body = '', deleted_at = 'x' WHERE rowid % 5 = 0",  # soft delete
        "UPDATE messages SET deleted_at = NULL WHERE rowid % 10 = 0",  # and back
        "UPDATE messages SET kind = 'system' WHERE rowid % 6 = 0",
        "UPDATE messages SET kind = 'message' WHERE rowid % 12 = 0",
        "UPDATE messages SET body = body WHERE rowid % 3 = 0",  # same body: no change
        "UPDATE messages SET edited_at = 'y' WHERE rowid % 2 = 0",  # unrelated column
        "DELETE FROM messages WHERE rowid % 9 = 0",
    ]
    for change in changes:
        conn.execute(change)
        for table in FTS_OPTIONS:
            assert index_snapshot(conn, table) == rebuilt_snapshot(conn, table), change
    live = conn.execute("SELECT COUNT(*) FROM message_search_docs").fetchone()[0]
    assert conn.execute("SELECT COUNT(*) FROM message_search_words_docsize").fetchone()[0] == live
    assert live > 10
    # The integrity of the FTS5 structures themselves.
    for table in FTS_OPTIONS:
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
    conn.close()


def test_the_migration_backfills_existing_messages(tmp_path):
    older = tmp_path / "schema"
    older.mkdir()
    for path in sorted(migrate.schema_dir().glob("*.sql")):
        if path.name < "0009":
            shutil.copy(path, older / path.name)
    conn = migrated(tmp_path / "b.db", older)
    base_rows(conn)
    add_message(conn, "msg_a", "an old hostname message", channel="chn_big")
    add_message(conn, "msg_b", "an old deleted hostname message", channel="chn_big",
                deleted=True)
    add_message(conn, "msg_c", "a hostname system notice", channel="chn_big", kind="system")
    assert "0009_search" in migrate.apply(conn)
    rows = conn.execute("SELECT m.id FROM message_search_trigrams t JOIN messages m"
                        " ON m.rowid = t.rowid WHERE t.message_search_trigrams MATCH 'stn'"
                        ).fetchall()
    assert [r[0] for r in rows] == ["msg_a"]
    rows = conn.execute("SELECT m.id FROM message_search_words w JOIN messages m"
                        " ON m.rowid = w.rowid WHERE w.message_search_words MATCH 'old'"
                        ).fetchall()
    assert [r[0] for r in rows] == ["msg_a"]
    conn.close()


# --- planner equivalence ------------------------------------------------------------------------

WORDS = ["alpha", "beta", "gamma", "delta", "alphabet", "betamax", "deploying", "deployed",
         "hostname", "Café", "naïve", "db1", "ab", "x"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "p.db"
    conn = migrated(path)
    base_rows(conn)
    rng = random.Random(7)
    conn.execute("BEGIN")
    places: list[dict[str, Any]] = (
        [{"channel": "chn_big"}] * 6 + [{"channel": "chn_small"}, {"channel": "chn_mine"},
                                        {"channel": "chn_secret", "author": "usr_bob"},
                                        {"dm": "dm_1"},
                                        {"channel": "chn_other", "ws": "wsp_2",
                                         "author": "usr_bob"}])
    roots: list[tuple[str, dict[str, Any]]] = []
    for i in range(500):
        words = rng.choices(WORDS, k=rng.randint(2, 7))
        if rng.random() < 0.1:
            words.append(f"https://ci.example.com/b/{i}")
        place = dict(rng.choice(places))
        if rng.random() < 0.2:
            place["author"] = "usr_bob"
        mid = f"msg_{i:04d}"
        if roots and rng.random() < 0.15:
            parent, where = rng.choice(roots)
            add_message(conn, mid, " ".join(words), parent=parent, day=1 + i % 28, **where)
        else:
            add_message(conn, mid, " ".join(words), day=1 + i % 28,
                        deleted=rng.random() < 0.05, **place)
            roots.append((mid, place))
    conn.execute("INSERT INTO pinned_messages (id, workspace_id, channel_id, message_id,"
                 " pinned_by, created_at) SELECT 'pin_' || id, workspace_id, channel_id, id,"
                 " 'usr_me', ? FROM messages WHERE channel_id = 'chn_big' AND rowid % 17 = 0",
                 (TS,))
    conn.execute("COMMIT")
    conn.close()
    return path


def reference(conn: sqlite3.Connection, q: str, channel_id: str | None = None) -> list[str]:
    """Row by row: every visible live message, each term and operator checked on its own."""
    query = search.parse(q)
    rows = conn.execute(
        "SELECT m.rowid, m.* FROM messages m WHERE m.workspace_id = 'wsp_1'"
        " AND m.kind = 'message' AND m.deleted_at IS NULL AND ("
        " m.channel_id IN (SELECT id FROM channels WHERE kind <> 'private' OR id IN"
        "  (SELECT channel_id FROM channel_members WHERE user_id = 'usr_me'))"
        " OR m.direct_conversation_id IN (SELECT conversation_id FROM"
        "  direct_conversation_members WHERE user_id = 'usr_me'))"
        " ORDER BY m.rowid DESC").fetchall()
    out = []
    for r in rows:
        ok = channel_id is None or r["channel_id"] == channel_id
        for term in query.terms:
            hit = term.like is not None and conn.execute(
                "SELECT ? LIKE ? ESCAPE '\\'", (r["body"], term.like)).fetchone()[0]
            if not hit and term.words is not None:
                hit = conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM message_search_words WHERE"
                    " message_search_words MATCH ? AND rowid = ?)",
                    (term.words, r[0])).fetchone()[0]
            ok = ok and bool(hit)
        if query.channels:
            name = conn.execute("SELECT name FROM channels WHERE id = ?",
                                (r["channel_id"],)).fetchone()
            ok = ok and name is not None and name[0] == query.channels[0]
        if query.peers:
            ok = ok and r["direct_conversation_id"] == "dm_1"
        if query.authors:
            ok = ok and r["author_id"] == "usr_" + query.authors[0]
        if query.is_thread:
            replies = conn.execute("SELECT reply_count FROM thread_state WHERE"
                                   " root_message_id = ?", (r["id"],)).fetchone()
            ok = ok and (r["parent_message_id"] is not None or bool(replies and replies[0]))
        if query.is_pinned:
            ok = ok and conn.execute("SELECT 1 FROM pinned_messages WHERE message_id = ?",
                                     (r["id"],)).fetchone() is not None
        if query.has_link:
            ok = ok and "https://" in r["body"]
        if query.since:
            ok = ok and r["created_at"] >= query.since
        if query.until:
            ok = ok and r["created_at"] < query.until
        if ok:
            out.append(r["id"])
    return out


def paged(conn: sqlite3.Connection, q: str, limit: int, channel_id: str | None = None
          ) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(200):
        page = search.search(conn, Actor("usr_me"), SearchParams(
            "wsp_1", q, channel_id=channel_id, limit=limit, cursor=cursor), True)
        ids += [r.id for r in page.results]
        assert len(page.results) <= limit
        if page.next_cursor is None:
            return ids
        assert page.results, "a next_cursor after an empty page"
        cursor = page.next_cursor
    raise AssertionError("paging did not end")


QUERIES = [
    "alpha", "alp", "alpha beta", "beta gam", '"alpha beta"', "ab", "x", "a*", "db", "zz",
    "deploy", "deployed", "cafe", "CAFÉ", "naive", "hostname alpha delta", "example.com/b",
    "in:#small", "in:#small alpha", "in:#mine beta", "in:#secret alpha", "from:@bob",
    "from:@bob gamma", "is:thread", "is:thread beta", "is:pinned", "alpha is:pinned",
    "has:link", "has:link alpha", "before:2024-05-10", "after:2024-05-20 delta",
    "on:2024-05-07", "in:@bob", "in:@bob alpha", "alpha x", "ab beta", "a* gamma",
]


@pytest.mark.parametrize("factor", [0, 8, 10**9], ids=["scope-walk", "default", "streams"])
def test_every_plan_agrees_with_the_reference(corpus, monkeypatch, factor):
    monkeypatch.setattr(search, "SCOPE_FACTOR", factor)
    conn = open_read(corpus)
    try:
        for q in QUERIES:
            want = reference(conn, q)
            assert paged(conn, q, 100) == want, q
            assert paged(conn, q, 7) == want, q
        want = reference(conn, "beta", channel_id="chn_small")
        assert paged(conn, "beta", 3, channel_id="chn_small") == want
        assert want
    finally:
        conn.close()


def test_has_file_without_an_attachments_table_finds_nothing(tmp_path):
    conn = migrated(tmp_path / "f.db")
    base_rows(conn)
    add_message(conn, "msg_f", "a file is attached", channel="chn_big")
    conn.execute("INSERT INTO uploads (id, workspace_id, owner_id, filename, content_type,"
                 " byte_size, storage_path, created_at) VALUES ('upl_1', 'wsp_1', 'usr_me',"
                 " 'a.txt', 'text/plain', 1, 'upload-1', ?)", (TS,))
    conn.execute("INSERT INTO message_attachments (message_id, upload_id, created_at)"
                 " VALUES ('msg_f', 'upl_1', ?)", (TS,))
    me = Actor("usr_me")
    for q in ("has:file", "file has:file"):
        page = search.search(conn, me, SearchParams("wsp_1", q), True)
        assert [r.id for r in page.results] == ["msg_f"], q
        # What the store does when uploads are not installed (no message_attachments table).
        assert search.search(conn, me, SearchParams("wsp_1", q), False).results == [], q
    conn.close()
