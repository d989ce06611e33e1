"""The single writer: ordering, group commit, isolation of a failing request, whole-batch
failure, publish-after-commit, and draining on close."""

import sqlite3
import threading

import pytest
import trio
import trio.testing

from clickclack.errors import BadRequest, Unavailable, WriterClosed
from clickclack.store.connection import open_read
from clickclack.store.writer import Tx, Writer

SCHEMA_SQL = "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"


def insert(tx: Tx, value: str, workspace: str = "w") -> int:
    tx.execute(SCHEMA_SQL)
    cur = tx.execute("INSERT INTO t (v) VALUES (?)", (value,))
    tx.emit("test.inserted", workspace, {"v": value})
    return int(cur.lastrowid)


def seed_workspace(tx: Tx) -> None:
    tx.execute("INSERT INTO workspaces (id, route_id, name, slug, created_at)"
               " VALUES ('w', 'T1', 'w', 'w', 'now')")


class Sink:
    def __init__(self):
        self.events = []
        self.reader = None

    def __call__(self, events):
        # The hub must only ever see committed data: check against a separate connection.
        for e in events:
            if self.reader is not None:
                row = self.reader.execute("SELECT 1 FROM events WHERE id = ?", (e.id,)).fetchone()
                assert row is not None, "published before commit"
        self.events.extend(events)


@pytest.fixture
async def writer(tmp_path):
    sink = Sink()
    w = Writer(tmp_path / "w.db", sink, synchronous="NORMAL", queue_size=1024, batch_size=256,
               on_start=seed_workspace)
    async with trio.open_nursery() as nursery:
        with trio.fail_after(10):
            await nursery.start(w.run)
        sink.reader = open_read(tmp_path / "w.db")
        w.sink = sink
        yield w
        w.close()
        with trio.fail_after(10):
            await w.stopped.wait()


async def test_results_come_back_and_cursors_follow_commit_order(writer):
    results = {}

    async def one(i):
        results[i] = await writer.submit(insert, f"v{i}")

    with trio.fail_after(10):
        async with trio.open_nursery() as n:
            for i in range(200):
                n.start_soon(one, i)
    assert sorted(results.values()) == list(range(1, 201))
    cursors = [e.cursor for e in writer.sink.events]
    assert cursors == sorted(cursors) and len(set(cursors)) == 200
    # commit order = cursor order = row id order
    assert [e.payload["v"] for e in writer.sink.events] == [
        f"v{i}" for i in sorted(results, key=results.get)]


async def test_concurrent_requests_are_grouped_into_one_transaction(writer):
    with trio.fail_after(10):
        async with trio.open_nursery() as n:
            for i in range(100):
                n.start_soon(writer.submit, insert, f"g{i}")
    stats = writer.statistics()
    assert stats.requests == 100
    assert stats.largest_batch > 1
    assert stats.batches < 100


async def test_a_failing_request_is_isolated_and_its_neighbours_commit(writer):
    def bad(tx: Tx) -> None:
        tx.execute(SCHEMA_SQL)
        tx.execute("INSERT INTO t (v) VALUES ('doomed')")
        tx.emit("test.inserted", "w", {"v": "doomed"})
        raise BadRequest("nope", code="test_bad")

    outcomes = {}

    async def run(name, fn, *args):
        try:
            outcomes[name] = await writer.submit(fn, *args)
        except Exception as exc:  # noqa: BLE001
            outcomes[name] = exc

    with trio.fail_after(10):
        async with trio.open_nursery() as n:
            n.start_soon(run, "a", insert, "a")
            n.start_soon(run, "bad", bad)
            n.start_soon(run, "dup", insert, "a")  # UNIQUE violation
            n.start_soon(run, "b", insert, "b")
    assert isinstance(outcomes["bad"], BadRequest)
    # trio does not promise start order: exactly one of the two "a" inserts wins.
    kinds = sorted(type(outcomes[k]).__name__ for k in ("a", "dup"))
    assert kinds == ["IntegrityError", "int"]
    assert isinstance(outcomes["b"], int)
    published = sorted(e.payload["v"] for e in writer.sink.events)
    assert published == ["a", "b"]  # nothing from the failed requests reaches the hub
    rows = writer.sink.reader.execute("SELECT v FROM t ORDER BY v").fetchall()
    assert [r[0] for r in rows] == ["a", "b"]
    events = writer.sink.reader.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert events == 2


async def test_an_error_that_ends_the_transaction_fails_the_whole_batch(writer):
    def kills_transaction(tx: Tx) -> None:
        # What SQLITE_FULL does behind our back: the transaction is gone.
        tx.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    outcomes = {}

    async def run(name, fn, *args):
        try:
            outcomes[name] = await writer.submit(fn, *args)
        except Exception as exc:  # noqa: BLE001
            outcomes[name] = exc

    # Hold the writer inside a transaction while both are queued, so they share the next batch.
    gate = threading.Event()
    async with trio.open_nursery() as n:
        n.start_soon(run, "blocker", lambda tx: gate.wait(10))
        await trio.testing.wait_all_tasks_blocked()
        n.start_soon(run, "first", insert, "x1")
        n.start_soon(run, "killer", kills_transaction)
        await trio.testing.wait_all_tasks_blocked()
        gate.set()
    assert isinstance(outcomes["killer"], Unavailable)
    assert isinstance(outcomes["first"], Unavailable)  # not acknowledged ...
    assert writer.sink.events == []  # ... and not published
    assert writer.sink.reader.execute(
        "SELECT COUNT(*) FROM events WHERE type = 'test.inserted'").fetchone()[0] == 0
    # The writer keeps working afterwards.
    assert isinstance(await writer.submit(insert, "after"), int)


async def test_close_drains_queued_writes_then_refuses_new_ones(tmp_path):
    sink = Sink()
    w = Writer(tmp_path / "d.db", sink, synchronous="NORMAL", on_start=seed_workspace)
    done = []
    with trio.fail_after(10):
        async with trio.open_nursery() as n:
            await n.start(w.run)

            async def one(i):
                done.append(await w.submit(insert, f"d{i}"))

            for i in range(50):
                n.start_soon(one, i)
            await trio.testing.wait_all_tasks_blocked()
            w.close()
    assert len(done) == 50
    with pytest.raises(WriterClosed):
        await w.submit(insert, "late")
    # The final checkpoint truncated the WAL.
    wal = tmp_path / "d.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


async def test_events_written_by_another_process_are_published(writer, tmp_path):
    # An admin CLI writing to the same file: its events must reach live subscribers too.
    from clickclack.ids import next_cursor
    from clickclack.store.connection import open_write

    other = open_write(tmp_path / "w.db", synchronous="NORMAL")
    last = other.execute("SELECT MAX(cursor) FROM events").fetchone()[0]
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO events (id, cursor, workspace_id, type, payload_json, created_at)"
                  " VALUES ('evt_x', ?, 'w', 'test.external', '{}', 'now')", (next_cursor(last),))
    other.execute("COMMIT")
    await writer.submit(insert, "mine")
    types = [e.type for e in writer.sink.events]
    assert types == ["test.external", "test.inserted"]
