"""The single writer: the only task that writes to SQLite.

Handlers ``await writer.submit(fn, *args)``.  The request travels over a bounded trio memory
channel (backpressure: when the queue is full, callers wait) to :meth:`Writer.run`, which:

1. takes whatever is queued (up to ``batch`` requests) and runs it as **one** ``BEGIN IMMEDIATE``
   transaction (group commit), each request inside its own ``SAVEPOINT`` so a failing request is
   rolled back alone and gets its own error while its neighbours commit;
2. runs that transaction in a worker thread, so neither the SQL nor the ``fsync`` of ``COMMIT``
   (``synchronous=FULL``) blocks the event loop;
3. after ``COMMIT`` returns, hands the batch's events to the hub **in commit order**, and only
   then wakes the callers.  The hub never sees an uncommitted event.

Hazards, and why the code is shaped like this:

* Cancellation: ``to_thread.run_sync`` is not abandoned on cancel, so a transaction is never left
  half-applied.  A caller cancelled while waiting may not learn whether its write committed; the
  API makes creates idempotent with nonces instead of shielding handlers.
* Errors that end the *whole* transaction (``SQLITE_FULL``, I/O errors; SQLite may have rolled back
  already) fail every request in the batch: nothing is acknowledged, nothing is published.  We
  check ``in_transaction`` before issuing ``ROLLBACK``.
* Cursors: inside ``BEGIN IMMEDIATE`` we read ``MAX(cursor)`` (other processes, such as the admin
  CLI, may have written), then allocate strictly above it, so cursor order is commit order.
  Events committed by another process are picked up and published before our own.
* Shutdown: closing the send side (:meth:`close`) lets ``run`` drain what is queued, checkpoint
  the WAL (``TRUNCATE``) and return.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
import trio

from clickclack.errors import ClickclackError, InsufficientStorage, Unavailable, WriterClosed
from clickclack.events import Event, make_event
from clickclack.ids import new_id, next_cursor, now_ts
from clickclack.store import migrate
from clickclack.store.connection import open_write

LOGGER = logging.getLogger("clickclack.writer")
T = TypeVar("T")

IDLE_POLL_S = 1.0  # how often an idle writer looks for events written by other processes
CHECKPOINT_WAL_BYTES = 16 * 1024 * 1024  # idle TRUNCATE checkpoint once the -wal passes this

# SQLite result codes after which the whole transaction is gone or the database is unusable.
_FATAL_CODES = {
    13: "SQLITE_FULL",
    10: "SQLITE_IOERR",
    7: "SQLITE_NOMEM",
    5: "SQLITE_BUSY",
    11: "SQLITE_CORRUPT",
    26: "SQLITE_NOTADB",
    8: "SQLITE_READONLY",
}


class Tx:
    """What a write function sees: the open transaction plus :meth:`emit`."""

    __slots__ = ("_base", "_pending", "conn", "now")

    def __init__(self, conn: sqlite3.Connection, base_cursor: str | None) -> None:
        self.conn = conn
        self._base = base_cursor
        self._pending: list[Event] = []
        self.now = now_ts()

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def emit(
        self,
        type: str,
        workspace_id: str,
        payload: dict[str, Any] | None,
        *,
        channel_id: str | None = None,
        seq: int | None = None,
        recipients: frozenset[str] | None = None,
        guest_visible: bool | None = None,
    ) -> Event:
        """Append a durable event to the log, in this transaction.  Channel events reach guests
        only for the #guest channel; workspace-level events reach every member.  Callers that
        already know the channel pass ``guest_visible`` and save a lookup."""
        if guest_visible is None and channel_id is not None:
            row = self.conn.execute("SELECT name FROM channels WHERE id = ?",
                                    (channel_id,)).fetchone()
            guest_visible = row is not None and row[0] == "guest"
        elif guest_visible is None:
            guest_visible = True
        cursor = next_cursor(self._base)
        self._base = cursor
        event = make_event(
            id=new_id("evt"),
            cursor=cursor,
            type=type,
            workspace_id=workspace_id,
            created_at=self.now,
            payload=payload,
            channel_id=channel_id,
            seq=seq,
            recipients=recipients,
            guest_visible=guest_visible,
        )
        self.conn.execute(
            "INSERT INTO events (id, cursor, workspace_id, channel_id, type, seq, payload_json,"
            " created_at, is_private, guest_visible) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                event.id, cursor, workspace_id, channel_id, type, seq,
                orjson.dumps(payload).decode(), self.now, 1 if recipients is not None else 0,
                int(guest_visible),
            ),
        )
        if recipients is not None:
            self.conn.executemany(
                "INSERT INTO event_recipients (event_id, user_id) VALUES (?, ?)",
                [(event.id, uid) for uid in sorted(recipients)],
            )
        self._pending.append(event)
        return event


@dataclass(eq=False)
class _Request:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    done: trio.Event = field(default_factory=trio.Event)
    result: Any = None
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class WriterStatistics:
    queued: int
    batches: int
    requests: int
    largest_batch: int
    last_cursor: str | None


def _is_fatal(exc: BaseException, conn: sqlite3.Connection) -> bool:
    if not conn.in_transaction:
        return True  # SQLite already rolled the whole transaction back
    if isinstance(exc, sqlite3.IntegrityError):
        return False
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is None or (code & 0xFF) in _FATAL_CODES or code in _FATAL_CODES
    return False


def _storage_error(exc: BaseException) -> ClickclackError:
    code = getattr(exc, "sqlite_errorcode", 0) or 0
    if (code & 0xFF) == 13:
        return InsufficientStorage("the server is out of disk space; the write was not saved")
    return Unavailable("the database is unavailable; the write was not saved",
                       code="db_unavailable")


def load_events_after(conn: sqlite3.Connection, after: str | None, limit: int = 10_000
                      ) -> list[Event]:
    """Committed events after ``after`` (all workspaces) with their recipient lists."""
    rows = conn.execute(
        "SELECT id, cursor, type, workspace_id, channel_id, seq, payload_json, created_at,"
        " is_private, guest_visible FROM events WHERE cursor > ? ORDER BY cursor LIMIT ?",
        (after or "", limit),
    ).fetchall()
    return [event_from_row(conn, r) for r in rows]


def event_from_row(conn: sqlite3.Connection, r: sqlite3.Row) -> Event:
    recipients = None
    if r["is_private"]:
        recipients = frozenset(
            x[0] for x in conn.execute(
                "SELECT user_id FROM event_recipients WHERE event_id = ?", (r["id"],)
            )
        )
    return make_event(
        id=r["id"], cursor=r["cursor"], type=r["type"], workspace_id=r["workspace_id"],
        created_at=r["created_at"], payload=orjson.loads(r["payload_json"]),
        channel_id=r["channel_id"], seq=r["seq"], recipients=recipients,
        guest_visible=bool(r["guest_visible"]),
    )


class Writer:
    def __init__(
        self,
        db_path: Path,
        publish: Callable[[list[Event]], None],
        *,
        synchronous: str = "FULL",
        queue_size: int = 1024,
        batch_size: int = 256,
        on_start: Callable[[Tx], Any] | None = None,
    ) -> None:
        self._db_path = db_path
        self._publish = publish
        self._synchronous = synchronous
        self._batch_size = batch_size
        self._on_start = on_start
        self._send, self._recv = trio.open_memory_channel[_Request](queue_size)
        self._conn: sqlite3.Connection | None = None
        self._seen: str | None = None  # highest cursor known committed (and published)
        self._one = trio.CapacityLimiter(1)
        self._batches = 0
        self._requests = 0
        self._largest = 0
        self.stopped = trio.Event()

    # --- caller side ----------------------------------------------------------------------

    async def submit(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(tx, *args)`` inside a write transaction; return its result or raise its
        error.  Events it emits are published after the commit."""
        req = _Request(fn, args)
        try:
            await self._send.send(req)
        except (trio.ClosedResourceError, trio.BrokenResourceError) as exc:
            raise WriterClosed("the server is shutting down; the write was not saved") from exc
        await req.done.wait()
        if req.error is not None:
            raise req.error
        return req.result  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop accepting writes; :meth:`run` drains the queue and returns."""
        self._send.close()

    def statistics(self) -> WriterStatistics:
        return WriterStatistics(
            queued=self._recv.statistics().current_buffer_used,
            batches=self._batches,
            requests=self._requests,
            largest_batch=self._largest,
            last_cursor=self._seen,
        )

    # --- the task -------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        conn = await trio.to_thread.run_sync(self._open)
        self._conn = conn
        try:
            task_status.started()
            async with self._recv:
                while True:
                    first: _Request | None = None
                    with trio.move_on_after(IDLE_POLL_S):
                        try:
                            first = await self._recv.receive()
                        except trio.EndOfChannel:
                            break
                    if first is None:
                        await self._idle(conn)
                        continue
                    batch = [first]
                    while len(batch) < self._batch_size:
                        try:
                            batch.append(self._recv.receive_nowait())
                        except (trio.WouldBlock, trio.EndOfChannel):
                            break
                    events = await trio.to_thread.run_sync(
                        self._apply_batch, conn, batch, limiter=self._one
                    )
                    self._batches += 1
                    self._requests += len(batch)
                    self._largest = max(self._largest, len(batch))
                    if events:
                        self._publish(events)
                    for req in batch:
                        req.done.set()
        finally:
            # Drained (or cancelled): leave a compact database behind.
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(self._shutdown, conn)
            self.stopped.set()

    # --- worker-thread side ----------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        conn = open_write(self._db_path, synchronous=self._synchronous)
        applied = migrate.apply(conn)
        if applied:
            LOGGER.info("applied migrations: %s", ", ".join(applied))
        row = conn.execute("SELECT MAX(cursor) FROM events").fetchone()
        self._seen = row[0]
        if self._on_start is not None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                tx = Tx(conn, self._seen)
                self._on_start(tx)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if tx._pending:
                self._seen = tx._pending[-1].cursor
        return conn

    def _apply_batch(self, conn: sqlite3.Connection, batch: list[_Request]) -> list[Event]:
        try:
            conn.execute("BEGIN IMMEDIATE")
            db_max = conn.execute("SELECT MAX(cursor) FROM events").fetchone()[0]
            external: list[Event] = []
            if db_max is not None and (self._seen is None or db_max > self._seen):
                external = load_events_after(conn, self._seen)
            tx = Tx(conn, db_max)
            committed: list[Event] = []
            for req in batch:
                conn.execute("SAVEPOINT req")
                tx._pending = []
                try:
                    req.result = req.fn(tx, *req.args)
                except Exception as exc:
                    if _is_fatal(exc, conn):
                        raise
                    conn.execute("ROLLBACK TO req")
                    conn.execute("RELEASE req")
                    req.error = exc
                    continue
                conn.execute("RELEASE req")
                committed.extend(tx._pending)
            conn.execute("COMMIT")
        # Any batch-level failure (including COMMIT's own) fails the whole batch.
        except Exception as exc:  # noqa: BLE001
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            LOGGER.error("write batch of %d failed: %r", len(batch), exc)
            err = exc if isinstance(exc, ClickclackError) else _storage_error(exc)
            for req in batch:
                req.result = None
                req.error = err
            return []
        published = external + committed
        if published:
            self._seen = published[-1].cursor
        return published

    def _idle_work(self, conn: sqlite3.Connection) -> list[Event]:
        external: list[Event] = []
        db_max = conn.execute("SELECT MAX(cursor) FROM events").fetchone()[0]
        if db_max is not None and (self._seen is None or db_max > self._seen):
            external = load_events_after(conn, self._seen)
            if external:
                self._seen = external[-1].cursor
        try:
            wal = os.stat(str(self._db_path) + "-wal").st_size
        except OSError:
            wal = 0
        if wal > CHECKPOINT_WAL_BYTES:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return external

    async def _idle(self, conn: sqlite3.Connection) -> None:
        try:
            events = await trio.to_thread.run_sync(self._idle_work, conn, limiter=self._one)
        except sqlite3.Error as exc:
            LOGGER.warning("idle maintenance failed: %r", exc)
            return
        if events:
            self._publish(events)

    def _shutdown(self, conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as exc:
            LOGGER.warning("final checkpoint failed: %r", exc)
        finally:
            conn.close()
