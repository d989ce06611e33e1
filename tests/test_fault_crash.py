"""Crash safety (issue 9, group 2; reliability.md §2 invariants I1-I5).

20 cycles on the same data directory: several client tasks post messages with nonces as fast
as they can; after a random 0.3-1.5 s the server gets SIGKILL; it is restarted on the same
files.  After every kill the database is checked directly (read-only) and, at the end, through
the API:

* I1: every acknowledged (2xx) post exists, exactly once, with the acknowledged id and cursor;
* I2: every message has exactly one ``message.created`` event and every such event its message;
* I3: cursors keep increasing across restarts;
* I4: ``PRAGMA integrity_check`` is ok;
* I5: rows without an acknowledgement are only posts that were in flight at the kill.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
import trio

from tests.conftest import bootstrap_ids
from tests.process import ServerProcess

pytestmark = pytest.mark.slow

CYCLES = 20
WRITERS = 8
PREFIX = "crash-"


def _check_db(db_path: Path, acked: dict[str, tuple[str, str]], sent: set[str],
              prev_max: str) -> tuple[int, str]:
    """I1-I5 directly in SQLite.  Returns (committed but not acknowledged, max cursor)."""
    db = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute("SELECT client_nonce, id FROM messages WHERE client_nonce LIKE ?",
                          (PREFIX + "%",)).fetchall()
        by_nonce: dict[str, list[str]] = {}
        for nonce, mid in rows:
            by_nonce.setdefault(nonce, []).append(mid)
        dupes = {n: ids for n, ids in by_nonce.items() if len(ids) > 1}
        assert not dupes, f"duplicated nonces: {dupes}"
        lost = [n for n in acked if n not in by_nonce]
        assert not lost, f"{len(lost)} acknowledged posts lost: {lost[:5]}"
        wrong = [n for n, (mid, _) in acked.items() if by_nonce[n] != [mid]]
        assert not wrong, f"acknowledged ids differ: {wrong[:5]}"
        unacked = set(by_nonce) - set(acked)
        assert unacked <= sent, "rows for posts that were never sent"
        # I2: message <=> exactly one message.created event.
        events = dict(db.execute(
            "SELECT json_extract(payload_json, '$.message_id'), count(*) FROM events"
            " WHERE type = 'message.created' GROUP BY 1").fetchall())
        assert all(c == 1 for c in events.values()), "a message with several created events"
        orphan_msgs = db.execute(
            "SELECT count(*) FROM messages m WHERE m.parent_message_id IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM events e WHERE e.type = 'message.created'"
            "  AND json_extract(e.payload_json, '$.message_id') = m.id)").fetchone()[0]
        orphan_events = db.execute(
            "SELECT count(*) FROM events e WHERE e.type = 'message.created' AND NOT EXISTS"
            " (SELECT 1 FROM messages m"
            "  WHERE m.id = json_extract(e.payload_json, '$.message_id'))").fetchone()[0]
        assert (orphan_msgs, orphan_events) == (0, 0)
        # The acknowledged cursor is the event of that message.
        cursor_of = dict(db.execute(
            "SELECT json_extract(payload_json, '$.message_id'), cursor FROM events"
            " WHERE type = 'message.created'").fetchall())
        assert all(cursor_of[mid] == cur for mid, cur in acked.values())
        # I3: this cycle's events all sort after everything committed before the last restart.
        new = db.execute("SELECT min(cursor) FROM events e WHERE json_extract(e.payload_json,"
                         " '$.nonce') IN (SELECT value FROM json_each(?))",
                         (_json_list(sent - set(_old)),)).fetchone()[0]
        assert new is None or new > prev_max
        max_cursor = db.execute("SELECT max(cursor) FROM events").fetchone()[0]
        return len(unacked), max_cursor
    finally:
        db.close()


_old: set[str] = set()  # nonces of finished cycles (module state, reset by the test)


def _json_list(items: set[str]) -> str:
    import json
    return json.dumps(sorted(items))


async def test_kill_9_during_concurrent_posts_20_cycles(tmp_path, capsys):
    data = tmp_path / "data"
    args = ("--dev-bootstrap", "--rate-messages", "off", "--access-log", "off")
    rng = random.Random()
    acked: dict[str, tuple[str, str]] = {}
    sent: set[str] = set()
    _old.clear()
    prev_max = ""
    committed_unacked = 0
    started = time.monotonic()
    ws_id = ch = ""
    for cycle in range(CYCLES):
        server = ServerProcess(data, *args)
        try:
            async with trio.open_nursery() as nursery:
                await server.start(nursery)
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                    if not ch:
                        ws_id, ch = await bootstrap_ids(http)
                    # I3 through the API: the first post after a restart sorts after the log.
                    r = await http.post(f"/api/channels/{ch}/messages",
                                        json={"body": "restart probe"})
                    assert r.status_code == 201, r.text
                    assert r.json()["event"]["cursor"] > prev_max
                    prev_max = r.json()["event"]["cursor"]

                    async def writer(k: int, cycle: int = cycle, ch: str = ch,
                                     http: httpx.AsyncClient = http) -> None:
                        i = 0
                        while True:
                            nonce = f"{PREFIX}{cycle}-{k}-{i}"
                            i += 1
                            sent.add(nonce)
                            try:
                                resp = await http.post(f"/api/channels/{ch}/messages",
                                                       json={"body": nonce, "nonce": nonce})
                            except httpx.HTTPError:
                                return  # the server is gone
                            assert resp.status_code == 201, resp.text
                            body = resp.json()
                            acked[nonce] = (body["message"]["id"], body["event"]["cursor"])

                    async with trio.open_nursery() as burst:
                        for k in range(WRITERS):
                            burst.start_soon(writer, k)
                        await trio.sleep(rng.uniform(0.3, 1.5))
                        await server.kill9()
                nursery.cancel_scope.cancel()
        finally:
            server.ensure_dead()
        unacked, max_cursor = _check_db(data / "clickclack.db", acked, sent, prev_max)
        committed_unacked = unacked  # cumulative over all cycles
        _old.update(sent)
        prev_max = max_cursor

    # Final restart: I1 through the API (the replayable log holds every acknowledged nonce once).
    server = ServerProcess(data, *args)
    try:
        async with trio.open_nursery() as nursery:
            await server.start(nursery)
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                seen: dict[str, int] = {}
                after = ""
                while True:
                    params = {"workspace_id": ws_id, "limit": 500}
                    if after:
                        params["after_cursor"] = after
                    page = (await http.get("/api/realtime/events", params=params)).json()
                    events = page["events"]
                    if not events:
                        break
                    cursors = [e["cursor"] for e in events]
                    assert cursors == sorted(cursors) and (not after or cursors[0] > after)
                    for e in events:
                        nonce = e["payload"].get("nonce", "") if e["type"] == "message.created" \
                            else ""
                        if nonce.startswith(PREFIX):
                            seen[nonce] = seen.get(nonce, 0) + 1
                    after = cursors[-1]
                assert all(seen.get(n) == 1 for n in acked), "acknowledged post missing or twice"
                assert all(c == 1 for c in seen.values())
            nursery.cancel_scope.cancel()
    finally:
        server.ensure_dead()
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\n[fault/crash] {CYCLES} kill -9 cycles, {WRITERS} writers, synchronous=FULL: "
              f"{len(acked)} acknowledged, 0 lost, 0 duplicated, {committed_unacked} committed "
              f"but not acknowledged, 0 orphan messages/events, integrity ok x{CYCLES}, "
              f"{elapsed:.0f} s")
    assert len(acked) > CYCLES * 10
