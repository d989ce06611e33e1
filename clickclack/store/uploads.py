"""Uploads and attachments in SQL (contract 16 and 19): quota reservations, the upload rows,
who may see an upload, attaching to messages, unlinking on delete, hydration, and the queries
housekeeping needs.  No file I/O here: files are written before a row exists and removed after
the row is gone (``pending_upload_cleanups``, filled by a trigger on ``uploads``).

Visibility (D2: otherwise 404): the owner sees an upload while it is attached to nothing; an
attached upload is visible to whoever can read a *live* message it is attached to (channel
audience, private channel members, DM members -- :func:`~clickclack.store.scopes.message_scope`).
Bot tokens also need ``dms:read`` / ``dms:write`` when the message is a DM.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge
from clickclack.events import Event
from clickclack.ids import new_id, ts_from_epoch
from clickclack.store.access import member_role, parse_ts, require_can_write
from clickclack.store.scopes import Scope, message_scope, require_write
from clickclack.store.writer import Tx
from clickclack.types.uploads import Upload

RESERVATION_TTL_S = 15 * 60
MAX_ATTACHMENTS_PER_MESSAGE = 32
_UPLOAD_COLS = ("id, workspace_id, owner_id, client_nonce, filename, content_type, byte_size,"
                " storage_path, thumbnail_path, width, height, duration_ms, created_at")
_U_COLS = ", ".join("u." + c.strip() for c in _UPLOAD_COLS.split(","))


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """An upload with where its bytes are (never serialized)."""

    upload: Upload
    storage_path: str
    thumbnail_path: str | None


@dataclass(frozen=True, slots=True)
class NewUpload:
    """What the upload handler learned about a received file."""

    workspace_id: str
    nonce: str
    filename: str
    content_type: str
    byte_size: int
    storage_path: str
    thumbnail_path: str | None
    width: int
    height: int
    duration_ms: int


def upload_out(r: sqlite3.Row) -> Upload:
    return Upload(
        id=r["id"], workspace_id=r["workspace_id"], owner_id=r["owner_id"],
        filename=r["filename"], content_type=r["content_type"], byte_size=r["byte_size"],
        created_at=r["created_at"], width=r["width"], height=r["height"],
        duration_ms=r["duration_ms"], nonce=r["client_nonce"] or None,
        has_thumbnail=r["thumbnail_path"] is not None,
    )


def _stored(r: sqlite3.Row) -> StoredUpload:
    return StoredUpload(upload_out(r), r["storage_path"], r["thumbnail_path"])


def _row(conn: sqlite3.Connection, upload_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {_UPLOAD_COLS} FROM uploads WHERE id = ?", (upload_id,)).fetchone()
    return row


def _require_bot_scope(actor: Actor, scope: str) -> None:
    if actor.is_bot and scope not in (actor.scopes or ()):
        raise Forbidden(f"bot token lacks the {scope} scope", code="missing_scope",
                        required_scope=scope)


# --- before the bytes ---------------------------------------------------------------------------

def check_uploader(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> None:
    """May the caller upload into the workspace?  404 when not a member; 403 for guests and for
    blocked or timed-out members (contract 16: guests cannot upload)."""
    require_can_write(conn, actor, workspace_id, budget=False)


def nonce_replay(conn: sqlite3.Connection, actor: Actor, workspace_id: str, nonce: str
                 ) -> Upload | None:
    """The caller's upload with this nonce (a replay), None if there is none, 409 when the
    nonce was used in another workspace."""
    if not nonce:
        return None
    r = conn.execute(f"SELECT {_UPLOAD_COLS} FROM uploads WHERE owner_id = ? AND"
                     " client_nonce = ?", (actor.user_id, nonce)).fetchone()
    if r is None:
        return None
    if r["workspace_id"] != workspace_id:
        raise Conflict("that nonce was used for an upload in another workspace",
                       code="nonce_other_workspace")
    return upload_out(r)


def by_nonce(conn: sqlite3.Connection, actor: Actor, workspace_id: str, nonce: str) -> Upload:
    member_role(conn, actor, workspace_id)  # 404 for outsiders before anything else
    found = nonce_replay(conn, actor, workspace_id, nonce)
    if found is None:
        raise NotFound("no upload with that nonce", code="nonce_not_found")
    return found


def _usage(conn: sqlite3.Connection, workspace_id: str, owner_id: str, now: str
           ) -> tuple[int, int]:
    """(bytes, files) the owner holds in the workspace, counting live reservations."""
    u = conn.execute("SELECT COALESCE(SUM(byte_size), 0), COUNT(*) FROM uploads"
                     " WHERE workspace_id = ? AND owner_id = ?", (workspace_id, owner_id)
                     ).fetchone()
    r = conn.execute("SELECT COALESCE(SUM(byte_size), 0), COUNT(*) FROM upload_quota_reservations"
                     " WHERE workspace_id = ? AND owner_id = ? AND expires_at > ?",
                     (workspace_id, owner_id, now)).fetchone()
    return int(u[0]) + int(r[0]), int(u[1]) + int(r[1])


def _check_quota(conn: sqlite3.Connection, workspace_id: str, owner_id: str, now: str,
                 size: int, quota_bytes: int, quota_files: int) -> None:
    used_bytes, used_files = _usage(conn, workspace_id, owner_id, now)
    if used_files + 1 > quota_files or used_bytes + size > quota_bytes:
        raise PayloadTooLarge("upload quota exceeded", code="upload_quota_exceeded",
                              quota_bytes=quota_bytes, quota_files=quota_files,
                              used_bytes=used_bytes, used_files=used_files)


def reserve(tx: Tx, actor: Actor, workspace_id: str, nonce: str, size: int, quota_bytes: int,
            quota_files: int) -> str:
    """Hold ``size`` bytes and one file of the caller's quota for 15 minutes (413 when that
    would pass it); returns the reservation id."""
    check_uploader(tx.conn, actor, workspace_id)
    _check_quota(tx.conn, workspace_id, actor.user_id, tx.now, size, quota_bytes, quota_files)
    rid = new_id("uqr")
    expires = ts_from_epoch(parse_ts(tx.now) + RESERVATION_TTL_S)
    tx.execute("INSERT INTO upload_quota_reservations (id, workspace_id, owner_id, client_nonce,"
               " byte_size, created_at, expires_at) VALUES (?,?,?,?,?,?,?)",
               (rid, workspace_id, actor.user_id, nonce, size, tx.now, expires))
    return rid


def release(tx: Tx, reservation_id: str) -> None:
    tx.execute("DELETE FROM upload_quota_reservations WHERE id = ?", (reservation_id,))


def record(tx: Tx, actor: Actor, reservation_id: str, new: NewUpload, quota_bytes: int,
           quota_files: int) -> tuple[Upload, bool]:
    """Insert the upload row for a file already on disk, consuming the reservation.  Returns
    (upload, created); created is False when a parallel request with the same nonce won (the
    caller then removes its own file)."""
    check_uploader(tx.conn, actor, new.workspace_id)
    tx.execute("DELETE FROM upload_quota_reservations WHERE id = ?", (reservation_id,))
    prior = nonce_replay(tx.conn, actor, new.workspace_id, new.nonce)
    if prior is not None:
        return prior, False
    _check_quota(tx.conn, new.workspace_id, actor.user_id, tx.now, new.byte_size, quota_bytes,
                 quota_files)
    uid = new_id("upl")
    tx.execute(
        f"INSERT INTO uploads ({_UPLOAD_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (uid, new.workspace_id, actor.user_id, new.nonce, new.filename, new.content_type,
         new.byte_size, new.storage_path, new.thumbnail_path, new.width, new.height,
         new.duration_ms, tx.now))
    row = _row(tx.conn, uid)
    assert row is not None
    return upload_out(row), True


# --- who may see an upload ----------------------------------------------------------------------

def visible(conn: sqlite3.Connection, actor: Actor, upload_id: str, *, for_attach: bool = False
            ) -> StoredUpload:
    """The upload if the caller may see it (see the module docstring), else 404.  Bot tokens
    whose only way in is a DM message also need ``dms:read``.  ``for_attach``: the owner may
    always attach their own upload (contract 16)."""
    row = _row(conn, upload_id)
    if row is None:
        raise NotFound("upload not found", code="upload_not_found")
    try:
        member_role(conn, actor, row["workspace_id"])
    except NotFound:
        raise NotFound("upload not found", code="upload_not_found") from None
    mine = row["owner_id"] == actor.user_id
    links = conn.execute(
        "SELECT a.message_id, m.deleted_at, m.direct_conversation_id IS NOT NULL AS is_dm"
        " FROM message_attachments a JOIN messages m ON m.id = a.message_id"
        " WHERE a.upload_id = ? ORDER BY is_dm, a.created_at LIMIT 100", (upload_id,)
    ).fetchall()
    if mine and (for_attach or not links):
        return _stored(row)
    for link in links:
        if link["deleted_at"] is not None:
            continue
        try:
            message_scope(conn, actor, link["message_id"])
        except NotFound:
            continue
        if link["is_dm"]:
            _require_bot_scope(actor, "dms:read")
        return _stored(row)
    raise NotFound("upload not found", code="upload_not_found")


# --- attachments --------------------------------------------------------------------------------

def is_attached(conn: sqlite3.Connection, message_id: str, upload_id: str) -> bool:
    return conn.execute("SELECT 1 FROM message_attachments WHERE message_id = ? AND"
                        " upload_id = ?", (message_id, upload_id)).fetchone() is not None


def _link(tx: Tx, actor: Actor, scope: Scope, message_id: str, upload_id: str) -> bool:
    """Link an upload the author owns or can see, from the message's workspace; True when the
    link is new."""
    up = visible(tx.conn, actor, upload_id, for_attach=True)
    if up.upload.workspace_id != scope.workspace_id:
        raise BadRequest("the upload belongs to another workspace",
                         code="upload_other_workspace")
    count = tx.one("SELECT COUNT(*) FROM message_attachments WHERE message_id = ?",
                   (message_id,))
    if count is not None and count[0] >= MAX_ATTACHMENTS_PER_MESSAGE \
            and not is_attached(tx.conn, message_id, upload_id):
        raise BadRequest(f"a message has at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments",
                         code="too_many_attachments")
    cur = tx.execute("INSERT OR IGNORE INTO message_attachments (message_id, upload_id,"
                     " created_at) VALUES (?, ?, ?)", (message_id, upload_id, tx.now))
    return cur.rowcount > 0


def attach_new(tx: Tx, actor: Actor, scope: Scope, message_id: str, upload_id: str) -> None:
    """Attach while creating a message (same transaction: both happen or neither)."""
    _link(tx, actor, scope, message_id, upload_id)


def attach(tx: Tx, actor: Actor, message_id: str, upload_id: str) -> Event | None:
    """``POST /api/messages/{id}/attachments``: the author only; idempotent; message.updated
    only when a new link is made."""
    row, scope = message_scope(tx.conn, actor, message_id)
    if scope.is_dm:
        _require_bot_scope(actor, "dms:write")
    require_write(tx.conn, actor, scope, tx.now)
    if row["author_id"] != actor.user_id:
        raise Forbidden("only the author can add attachments", code="message_not_writable")
    if row["deleted_at"] is not None:
        raise BadRequest("a deleted message cannot get attachments", code="message_deleted")
    if not _link(tx, actor, scope, message_id, upload_id):
        return None
    return tx.emit("message.updated", scope.workspace_id,
                   {"message_id": message_id, "root_message_id": row["thread_root_id"],
                    **scope.event_fields()},
                   channel_id=scope.channel_id, seq=row["channel_seq"],
                   recipients=scope.recipients, guest_visible=scope.guest_visible)


def unlink_message(tx: Tx, message_id: str) -> None:
    """A message is being deleted: drop its attachment links, and delete the uploads that are
    attached to nothing else any more (their files are queued for removal by the trigger)."""
    gone = [r[0] for r in tx.execute(
        "DELETE FROM message_attachments WHERE message_id = ? RETURNING upload_id",
        (message_id,)).fetchall()]
    for upload_id in gone:
        tx.execute("DELETE FROM uploads WHERE id = ? AND NOT EXISTS (SELECT 1 FROM"
                   " message_attachments a WHERE a.upload_id = uploads.id)", (upload_id,))


def attachments_for(conn: sqlite3.Connection, message_ids: list[str]) -> dict[str, list[Upload]]:
    """Attachments of many messages in one query, in attach order."""
    if not message_ids:
        return {}
    marks = ",".join("?" * len(message_ids))
    out: dict[str, list[Upload]] = {}
    for r in conn.execute(
        f"SELECT a.message_id AS link_message_id, {_U_COLS}"
        f" FROM message_attachments a JOIN uploads u ON u.id = a.upload_id"
        f" WHERE a.message_id IN ({marks}) ORDER BY a.created_at, u.id", message_ids
    ).fetchall():
        out.setdefault(r["link_message_id"], []).append(upload_out(r))
    return out


# --- housekeeping -------------------------------------------------------------------------------

def pending_cleanups(conn: sqlite3.Connection, limit: int) -> list[tuple[str, str]]:
    """(cleanup id, storage key) of files whose rows are gone, oldest first."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT id, storage_path FROM pending_upload_cleanups ORDER BY attempts, created_at"
        " LIMIT ?", (limit,))]


def finish_cleanups(tx: Tx, done: list[str], failed: dict[str, str]) -> None:
    for cid in done:
        tx.execute("DELETE FROM pending_upload_cleanups WHERE id = ?", (cid,))
    for cid, error in failed.items():
        tx.execute("UPDATE pending_upload_cleanups SET attempts = attempts + 1, last_error = ?,"
                   " updated_at = ? WHERE id = ?", (error, tx.now, cid))


def expire_unattached(tx: Tx, created_before: str, limit: int) -> int:
    """Delete uploads never attached to anything that are older than ``created_before`` (their
    files are queued by the trigger).  Returns how many."""
    cur = tx.execute(
        "DELETE FROM uploads WHERE id IN (SELECT u.id FROM uploads u WHERE u.created_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM message_attachments a WHERE a.upload_id = u.id)"
        " ORDER BY u.created_at LIMIT ?)", (created_before, limit))
    tx.execute("DELETE FROM upload_quota_reservations WHERE expires_at <= ?", (tx.now,))
    return int(cur.rowcount)


def known_keys(conn: sqlite3.Connection, keys: list[str]) -> set[str]:
    """Which of these storage keys still belong to an upload row."""
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        marks = ",".join("?" * len(part))
        for r in conn.execute(
            f"SELECT storage_path, thumbnail_path FROM uploads WHERE storage_path IN ({marks})"
            f" OR thumbnail_path IN ({marks})", (*part, *part)):
            known.update(k for k in (r[0], r[1]) if k)
    return known

