"""Users, sessions and magic links (contract sections 2 and 4).

Secrets are never stored: only ``sha256(token)`` hex, looked up by digest.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time

import msgspec
import orjson

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, NotFound
from clickclack.ids import new_id, secret_token, ts_from_epoch
from clickclack.store import _rows
from clickclack.store.writer import Tx
from clickclack.types import MagicLink, SessionInfo, User
from clickclack.types.accounts import (
    AVATAR_URL_PATTERN,
    AppearancePreferences,
    NotificationSettings,
    PatchMe,
    ProfileUser,
)

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


# --- profile (contract section 4) ---------------------------------------------------------------

_AVATAR_URL_RE = re.compile(AVATAR_URL_PATTERN)
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")
PUSHOVER_KEY_RE = re.compile(r"^[A-Za-z0-9]{30}$")
DISPLAY_NAME_MAX_CHARS = 80
AVATAR_URL_MAX = 500
# The default word of each appearance setting: stored as "" (the client's default), like "".
APPEARANCE_DEFAULTS = {"color_mode": "system", "board_theme": "signal",
                       "message_layout": "standard", "density": "comfortable"}
_APPEARANCE_FIELDS = tuple(APPEARANCE_DEFAULTS)

_PROFILE_SELECT = (
    f"SELECT {_rows.USER_COLS}, n.pushover_enabled, n.pushover_user_key,"
    " a.color_mode, a.board_theme, a.message_layout, a.density,"
    " p.user_id IS NOT NULL AS password_enrolled"
    " FROM users u"
    " LEFT JOIN user_notification_settings n ON n.user_id = u.id"
    " LEFT JOIN user_appearance_preferences a ON a.user_id = u.id"
    " LEFT JOIN user_passwords p ON p.user_id = u.id"
    " WHERE u.id = ?"
)


def normalize_display_name(raw: str) -> str:
    # Characters (code points) before trimming, as the description's maxLength counts them.
    if len(raw) > DISPLAY_NAME_MAX_CHARS:
        raise BadRequest(f"display_name must be at most {DISPLAY_NAME_MAX_CHARS} characters",
                         code="display_name_too_long")
    name = raw.strip()
    if not name:
        raise BadRequest("display_name must not be empty", code="display_name_required")
    return name


def normalize_handle(raw: str) -> str:
    """Trimmed, lower-cased, one leading @ removed; "" clears the handle."""
    handle = raw.strip().lower()
    if handle.startswith("@"):
        handle = handle[1:]
    if handle and not HANDLE_RE.match(handle):
        raise BadRequest("handle must be 2-32 characters: a-z, 0-9, _ and -, starting with a "
                         "letter or digit", code="handle_invalid")
    return handle


def normalize_avatar_url(raw: str) -> str:
    """"" (restore the Gravatar fallback) or an http(s) URL with a host name, at most 500
    characters before trimming: exactly ``AVATAR_URL_PATTERN``, which the description
    declares."""
    if len(raw) > AVATAR_URL_MAX:
        raise BadRequest(f"avatar_url must be at most {AVATAR_URL_MAX} characters",
                         code="avatar_url_too_long")
    if not _AVATAR_URL_RE.search(raw):
        raise BadRequest("avatar_url must be an http(s) URL with a host",
                         code="avatar_url_invalid")
    return raw.strip()


def get_profile(conn: sqlite3.Connection, user_id: str) -> ProfileUser:
    r = conn.execute(_PROFILE_SELECT, (user_id,)).fetchone()
    if r is None:
        raise NotFound("user not found", code="user_not_found")
    appearance = AppearancePreferences(**{
        f: r[f] for f in _APPEARANCE_FIELDS if r[f]})
    return ProfileUser(
        **msgspec.structs.asdict(_rows.user(r)),
        password_enrolled=bool(r["password_enrolled"]),
        notification_settings=NotificationSettings(
            pushover_enabled=bool(r["pushover_enabled"]),
            pushover_user_key=r["pushover_user_key"] or ""),
        appearance_preferences=appearance,
    )


def user_email(conn: sqlite3.Connection, user_id: str) -> str:
    r = conn.execute("SELECT email FROM identities WHERE user_id = ? AND email <> ''"
                     " ORDER BY created_at, id LIMIT 1", (user_id,)).fetchone()
    return str(r[0]) if r else ""


def update_profile(tx: Tx, user_id: str, patch: PatchMe) -> ProfileUser:
    """Apply a PATCH /api/me.  Every field is validated before anything is written; no event."""
    current = get_profile(tx.conn, user_id)
    columns: dict[str, str] = {}
    if patch.display_name is not None:
        columns["display_name"] = normalize_display_name(patch.display_name)
    if patch.handle is not None:
        handle = normalize_handle(patch.handle)
        if handle and tx.one("SELECT 1 FROM users WHERE handle = ? AND id <> ?",
                             (handle, user_id)):
            raise Conflict("handle is already taken", code="handle_taken")
        columns["handle"] = handle
    if patch.avatar_url is not None:
        url = normalize_avatar_url(patch.avatar_url)
        if not url:
            email = user_email(tx.conn, user_id)
            url = _gravatar(email) if email else ""
        columns["avatar_url"] = url

    notify = None
    if patch.notification_settings is not None:
        old = current.notification_settings or NotificationSettings()
        p = patch.notification_settings
        enabled = old.pushover_enabled if p.pushover_enabled is None else p.pushover_enabled
        key = old.pushover_user_key if p.pushover_user_key is None else p.pushover_user_key.strip()
        if key and not PUSHOVER_KEY_RE.match(key):
            raise BadRequest("pushover_user_key must be 30 letters and digits",
                             code="pushover_key_invalid")
        if enabled and not key:
            raise BadRequest("pushover_user_key is required to enable notifications",
                             code="pushover_key_required")
        notify = (int(enabled), key)

    looks = None
    if patch.appearance_preferences is not None:
        old_looks = current.appearance_preferences or AppearancePreferences()
        looks = {}
        for f in _APPEARANCE_FIELDS:
            value = getattr(patch.appearance_preferences, f)
            if value is None:
                value = getattr(old_looks, f)
            looks[f] = "" if value == APPEARANCE_DEFAULTS[f] else value

    if columns:
        assignments = ", ".join(f"{c} = ?" for c in columns)
        try:
            tx.execute(f"UPDATE users SET {assignments} WHERE id = ?",
                       (*columns.values(), user_id))
        except sqlite3.IntegrityError as exc:  # a concurrent writer took the handle
            raise Conflict("handle is already taken", code="handle_taken") from exc
        if "display_name" in columns or "handle" in columns:
            # Imported here, not at the top: the workspaces module may come to import this one.
            from clickclack.store.workspaces import refresh_member_sort_keys

            refresh_member_sort_keys(tx, user_id)
    if notify is not None:
        tx.execute(
            "INSERT INTO user_notification_settings (user_id, pushover_enabled,"
            " pushover_user_key, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
            " SET pushover_enabled = excluded.pushover_enabled,"
            " pushover_user_key = excluded.pushover_user_key, updated_at = excluded.updated_at",
            (user_id, *notify, tx.now))
    if looks is not None:
        tx.execute(
            "INSERT INTO user_appearance_preferences (user_id, color_mode, board_theme,"
            " message_layout, density, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET color_mode = excluded.color_mode,"
            " board_theme = excluded.board_theme, message_layout = excluded.message_layout,"
            " density = excluded.density, updated_at = excluded.updated_at",
            (user_id, *(looks[f] for f in _APPEARANCE_FIELDS), tx.now))
    return get_profile(tx.conn, user_id)


# --- passwords (opt-in) ----------------------------------------------------------------------

def normalize_identifier(raw: str) -> str:
    """An email address (lower-cased) or a handle (lower-cased, one leading @ removed)."""
    ident = raw.strip().lower()
    if "@" in ident[1:]:
        return ident
    return ident[1:] if ident.startswith("@") else ident


def password_hash(conn: sqlite3.Connection, user_id: str) -> str | None:
    r = conn.execute("SELECT password_hash FROM user_passwords WHERE user_id = ?",
                     (user_id,)).fetchone()
    return str(r[0]) if r else None


def login_candidate(conn: sqlite3.Connection, identifier: str
                    ) -> tuple[str, str | None] | None:
    """(user id, password hash or None) of the person an identifier names, or None.  One
    indexed lookup either way.  Bots never sign in with a password."""
    if "@" in identifier:
        r = conn.execute(
            "SELECT i.user_id, p.password_hash FROM identities i"
            " JOIN users u ON u.id = i.user_id AND u.kind = 'human'"
            " LEFT JOIN user_passwords p ON p.user_id = i.user_id"
            " WHERE i.email = ? ORDER BY i.created_at LIMIT 1", (identifier,)).fetchone()
    else:
        r = conn.execute(
            "SELECT u.id, p.password_hash FROM users u"
            " LEFT JOIN user_passwords p ON p.user_id = u.id"
            " WHERE u.handle = ? AND u.handle <> '' AND u.kind = 'human'",
            (identifier,)).fetchone()
    return (str(r[0]), r[1]) if r else None


def set_password(tx: Tx, user_id: str, new_hash: str, expected_old: str | None,
                 keep_session_id: str | None) -> list[str]:
    """Store the new hash -- only if the stored one is still ``expected_old`` (what the caller
    verified) -- and revoke every other live session of the user, in one transaction.  Returns
    the revoked session ids (their sockets are closed by the caller)."""
    r = tx.one("SELECT password_hash FROM user_passwords WHERE user_id = ?", (user_id,))
    if (r[0] if r else None) != expected_old:
        raise Conflict("the password was changed meanwhile; try again",
                       code="password_changed_concurrently")
    tx.execute(
        "INSERT INTO user_passwords (user_id, password_hash, created_at, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
        " SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        (user_id, new_hash, tx.now, tx.now))
    rows = tx.execute(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
        " AND id IS NOT ? RETURNING id", (tx.now, user_id, keep_session_id)).fetchall()
    return [str(row[0]) for row in rows]
