"""Users, sessions and magic links (contract sections 2 and 4).

Secrets are never stored: only ``sha256(token)`` hex, looked up by digest.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time

import orjson

from clickclack.actor import Actor
from clickclack.errors import BadRequest, NotFound
from clickclack.ids import new_id, secret_token, ts_from_epoch
from clickclack.store import _rows
from clickclack.store.writer import Tx
from clickclack.types import MagicLink, SessionInfo, User

MAGIC_LINK_TTL_S = 15 * 60
SESSION_TTL_S = 30 * 24 * 3600


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not email:
        raise BadRequest("email is required", code="email_required")
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email):
        raise BadRequest("email is not a valid address", code="email_invalid")
    return email


# --- reads -------------------------------------------------------------------------------------

def get_user(conn: sqlite3.Connection, user_id: str) -> User:
    r = conn.execute(f"SELECT {_rows.USER_COLS} FROM users u WHERE u.id = ?", (user_id,)).fetchone()
    if r is None:
        raise NotFound("user not found", code="user_not_found")
    return _rows.user(r)


def first_user_id(conn: sqlite3.Connection) -> str | None:
    r = conn.execute("SELECT id FROM users ORDER BY created_at, id LIMIT 1").fetchone()
    return r[0] if r else None


def session_for_token(conn: sqlite3.Connection, token: str, now: str) -> tuple[str, str] | None:
    """(session_id, user_id) for a live session token, else None."""
    r = conn.execute(
        "SELECT id, user_id FROM sessions WHERE token_hash = ? AND revoked_at IS NULL"
        " AND expires_at > ?",
        (token_hash(token), now),
    ).fetchone()
    return (r[0], r[1]) if r else None


def session_alive(conn: sqlite3.Connection, session_id: str, now: str) -> bool:
    r = conn.execute(
        "SELECT 1 FROM sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
        (session_id, now),
    ).fetchone()
    return r is not None


def bot_for_token(conn: sqlite3.Connection, token: str) -> Actor | None:
    """The bot behind a live ``ccb_`` token: not revoked, bot not retired, bot still a member of
    the token's workspace, and for a user-owned bot its owner too (17.1)."""
    r = conn.execute(
        "SELECT t.id, t.bot_user_id, t.workspace_id, t.owner_user_id, t.scopes_json"
        " FROM bot_tokens t JOIN users u ON u.id = t.bot_user_id AND u.kind = 'bot'"
        " JOIN workspace_members m ON m.workspace_id = t.workspace_id"
        "  AND m.user_id = t.bot_user_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL"
        "  AND NOT EXISTS (SELECT 1 FROM bot_tombstones b WHERE b.bot_user_id = t.bot_user_id)"
        "  AND (t.owner_user_id IS NULL OR EXISTS (SELECT 1 FROM workspace_members o"
        "       WHERE o.workspace_id = t.workspace_id AND o.user_id = t.owner_user_id))",
        (token_hash(token),),
    ).fetchone()
    if r is None:
        return None
    return Actor(user_id=r["bot_user_id"], kind="bot", via="bot", token_id=r["id"],
                 bot_workspace_id=r["workspace_id"],
                 scopes=frozenset(orjson.loads(r["scopes_json"])))


def bot_token_alive(conn: sqlite3.Connection, token_id: str) -> bool:
    r = conn.execute(
        "SELECT 1 FROM bot_tokens t WHERE t.id = ? AND t.revoked_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM bot_tombstones b WHERE b.bot_user_id = t.bot_user_id)",
        (token_id,),
    ).fetchone()
    return r is not None


# --- writes (run inside the writer's transaction) ----------------------------------------------

def _create_user(tx: Tx, display_name: str, email: str, provider: str) -> str:
    uid = new_id("usr")
    tx.execute(
        "INSERT INTO users (id, kind, display_name, handle, avatar_url, created_at)"
        " VALUES (?, 'human', ?, '', ?, ?)",
        (uid, display_name, _gravatar(email), tx.now),
    )
    tx.execute(
        "INSERT INTO identities (id, user_id, provider, provider_subject, email, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (new_id("idn"), uid, provider, email, email, tx.now),
    )
    return uid


def _gravatar(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"https://www.gravatar.com/avatar/{digest}?d=identicon"


def create_user(tx: Tx, display_name: str, email: str) -> User:
    email = normalize_email(email)
    if tx.one("SELECT 1 FROM identities WHERE email = ?", (email,)):
        raise BadRequest("a user with that email already exists", code="email_taken")
    uid = _create_user(tx, display_name.strip() or email, email, "local")
    return get_user(tx.conn, uid)


def create_magic_link(tx: Tx, email: str, display_name: str) -> tuple[MagicLink, str]:
    email = normalize_email(email)
    token = secret_token("mgt")
    link_id = new_id("mln")
    expires = ts_from_epoch(time.time() + MAGIC_LINK_TTL_S)
    tx.execute(
        "INSERT INTO auth_magic_links (id, token_hash, email, display_name, created_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (link_id, token_hash(token), email, display_name.strip(), tx.now, expires),
    )
    return (
        MagicLink(id=link_id, email=email, display_name=display_name.strip(),
                  created_at=tx.now, expires_at=expires),
        token,
    )


def consume_magic_link(tx: Tx, token: str) -> tuple[User, SessionInfo]:
    """Single use, atomically: the UPDATE ... WHERE used_at IS NULL claims the link, and the
    writer runs one transaction at a time, so concurrent consumes create exactly one session."""
    r = tx.one(
        "UPDATE auth_magic_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
        " AND expires_at > ? RETURNING email, display_name",
        (tx.now, token_hash(token), tx.now),
    )
    if r is None:
        raise BadRequest("magic link is invalid, used or expired", code="magic_link_invalid")
    email, display_name = r[0], r[1]
    found = tx.one("SELECT user_id FROM identities WHERE email = ? ORDER BY created_at LIMIT 1",
                   (email,))
    uid = found[0] if found else _create_user(tx, display_name or email, email, "magic")
    return get_user(tx.conn, uid), create_session(tx, uid)


def create_session(tx: Tx, user_id: str) -> SessionInfo:
    token = secret_token("sst")
    sid = new_id("ses")
    expires = ts_from_epoch(time.time() + SESSION_TTL_S)
    tx.execute(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (sid, token_hash(token), user_id, tx.now, expires),
    )
    return SessionInfo(id=sid, user_id=user_id, created_at=tx.now, expires_at=expires, token=token)


def revoke_session(tx: Tx, session_id: str) -> bool:
    cur = tx.execute(
        "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (tx.now, session_id),
    )
    return cur.rowcount > 0
