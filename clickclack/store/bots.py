"""Bots and bot tokens (contract 17.1-17.4).

* A bot is a user with ``kind='bot'``: a *service bot* has no owner; a *user-owned bot* belongs
  to the human who created it and can never do more than that human (see ``access.py``).
* Bots join a workspace with role ``bot``.  Each token is bound to one workspace and carries the
  scopes expanded when it was issued.  Only ``sha256(token)`` is stored; the raw ``ccb_`` secret
  is returned once, by the create call.
* Who manages what: a service bot's tokens and membership are managed by the workspace's
  managers (owners and moderators who are not blocked or timed out); a user-owned bot's tokens by
  its owner.  Deleting a service bot needs a manager of *every* workspace it is tied to.
* ``setup_nonce`` retries: the first call records (creator, nonce) with a fingerprint of its
  inputs; a replay with the same inputs returns the same bot and token row with a fresh raw
  secret (the old one stops working), different inputs give 409.
* Deleting a bot retires it: a ``bot_tombstones`` row keeps its former handle, the handle is
  freed, every token is revoked and every membership removed; messages keep its ``usr_`` id.

Write functions return the ids of revoked tokens so the caller can close their sockets after
the commit.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

import orjson

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden, NotFound
from clickclack.ids import new_id, secret_token
from clickclack.scopes import expand
from clickclack.store import _rows
from clickclack.store.access import (
    MANAGER_ROLES,
    is_active_manager,
    member_role,
    require_can_write,
    restriction,
)
from clickclack.store.accounts import token_hash
from clickclack.store.workspaces import refresh_member_sort_keys
from clickclack.store.writer import Tx
from clickclack.types import User
from clickclack.types.bots import (
    BotToken,
    BotWithTokens,
    BotWorkspace,
    CreateBot,
    CreateBotToken,
    DeletedBot,
    MyBot,
)

MAX_DISPLAY_NAME_CHARS = 80
MAX_TOKEN_NAME_CHARS = 80
MAX_AVATAR_URL_CHARS = 2048
SETUP_NONCE_MIN, SETUP_NONCE_MAX = 16, 128
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")

_TOKEN_COLS = (  # column names, not a secret (S105)
    "t.id, t.bot_user_id, t.workspace_id, t.owner_user_id, t.name, t.scopes_json,"  # noqa: S105
    " t.created_by, t.created_at, t.last_used_at, t.revoked_at"
)


@dataclass(frozen=True, slots=True)
class BotIssued:
    """What a create returns: the bot, the token (with its raw secret) if one was issued, and
    whether this was a setup-nonce replay (the token row's old secret was replaced)."""

    bot: User
    token: BotToken | None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class BotRemoval:
    """What a membership removal or a delete did: the tokens it revoked and the workspaces the
    bot left (their sockets are closed after the commit)."""

    bot_user_id: str
    revoked_token_ids: tuple[str, ...]
    workspace_ids: tuple[str, ...]
    deleted: DeletedBot | None = None


# --- input cleaning ----------------------------------------------------------------------------

def clean_display_name(name: str) -> str:
    # Lengths are checked before trimming, as the description's maxLength counts them.
    if len(name) > MAX_DISPLAY_NAME_CHARS:
        raise BadRequest(f"display_name must be at most {MAX_DISPLAY_NAME_CHARS} characters",
                         code="display_name_too_long")
    name = name.strip()
    if not name:
        raise BadRequest("display_name is required", code="display_name_required")
    if len(name) > MAX_DISPLAY_NAME_CHARS:
        raise BadRequest(f"display_name must be at most {MAX_DISPLAY_NAME_CHARS} characters",
                         code="display_name_too_long")
    return name


def clean_handle(handle: str | None) -> str:
    handle = (handle or "").strip().lstrip("@").lower()
    if handle and not HANDLE_RE.match(handle):
        raise BadRequest("handle must be 2-32 characters of a-z, 0-9, _ and -, starting with a"
                         " letter or digit", code="invalid_handle")
    return handle


def clean_avatar_url(url: str | None) -> str:
    if len(url or "") > MAX_AVATAR_URL_CHARS:
        raise BadRequest("avatar_url is too long", code="invalid_avatar_url")
    url = (url or "").strip()
    if len(url) > MAX_AVATAR_URL_CHARS:
        raise BadRequest("avatar_url is too long", code="invalid_avatar_url")
    if url and not url.startswith(("https://", "http://", "/api/uploads/")):
        raise BadRequest("avatar_url must be an http(s) URL or /api/uploads/<id>",
                         code="invalid_avatar_url")
    return url


def clean_token_name(name: str | None) -> str:
    if len(name or "") > MAX_TOKEN_NAME_CHARS:
        raise BadRequest(f"token name must be at most {MAX_TOKEN_NAME_CHARS} characters",
                         code="token_name_too_long")
    name = (name or "").strip() or "default"
    if len(name) > MAX_TOKEN_NAME_CHARS:
        raise BadRequest(f"token name must be at most {MAX_TOKEN_NAME_CHARS} characters",
                         code="token_name_too_long")
    return name


def clean_setup_nonce(nonce: str | None) -> str:
    nonce = (nonce or "").strip()
    if nonce and (not SETUP_NONCE_MIN <= len(nonce) <= SETUP_NONCE_MAX or "\x00" in nonce):
        raise BadRequest(f"setup_nonce must be {SETUP_NONCE_MIN}-{SETUP_NONCE_MAX} characters",
                         code="invalid_setup_nonce")
    return nonce


def _scopes(requested: list[str] | str | None) -> list[str]:
    return expand([requested] if isinstance(requested, str) else requested)


# --- rows --------------------------------------------------------------------------------------

def _token(r: sqlite3.Row, raw: str | None = None) -> BotToken:
    return BotToken(
        id=r["id"], bot_user_id=r["bot_user_id"], workspace_id=r["workspace_id"],
        owner_user_id=r["owner_user_id"], name=r["name"], scopes=orjson.loads(r["scopes_json"]),
        created_by=r["created_by"], created_at=r["created_at"], last_used_at=r["last_used_at"],
        revoked_at=r["revoked_at"], token=raw,
    )


def _token_row(conn: sqlite3.Connection, token_id: str) -> sqlite3.Row | None:
    r: sqlite3.Row | None = conn.execute(
        f"SELECT {_TOKEN_COLS} FROM bot_tokens t WHERE t.id = ?", (token_id,)).fetchone()
    return r


def _bot(conn: sqlite3.Connection, bot_user_id: str) -> sqlite3.Row | None:
    """A bot user that has not been retired."""
    r: sqlite3.Row | None = conn.execute(
        f"SELECT {_rows.USER_COLS} FROM users u WHERE u.id = ? AND u.kind = 'bot'"
        " AND NOT EXISTS (SELECT 1 FROM bot_tombstones b WHERE b.bot_user_id = u.id)",
        (bot_user_id,),
    ).fetchone()
    return r


def _bot_in(conn: sqlite3.Connection, workspace_id: str, bot_user_id: str) -> sqlite3.Row:
    """A live bot that is a member of the workspace, else NotFound."""
    r: sqlite3.Row | None = conn.execute(
        f"SELECT {_rows.USER_COLS} FROM users u JOIN workspace_members m ON m.user_id = u.id"
        " AND m.workspace_id = ? WHERE u.id = ? AND u.kind = 'bot'"
        " AND NOT EXISTS (SELECT 1 FROM bot_tombstones b WHERE b.bot_user_id = u.id)",
        (workspace_id, bot_user_id),
    ).fetchone()
    if r is None:
        raise NotFound("bot not found", code="bot_not_found")
    return r


def _require_token_admin(conn: sqlite3.Connection, actor: Actor, workspace_id: str,
                         owner_user_id: str | None, role: str, now: str) -> None:
    """Service bot: an active manager of the workspace.  User-owned bot: its owner."""
    if owner_user_id is not None:
        if actor.user_id != owner_user_id:
            raise Forbidden("only the bot owner can manage this bot's tokens",
                            code="bot_owner_required")
        return
    if role not in MANAGER_ROLES:
        raise Forbidden("workspace manager permission required",
                        code="workspace_manager_required")
    if restriction(conn, workspace_id, actor.user_id, now) is not None:
        raise Forbidden("moderation restriction: you are blocked or timed out in this"
                        " workspace", code="moderation_restriction")


# --- reads -------------------------------------------------------------------------------------

def list_bots(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> list[BotWithTokens]:
    member_role(conn, actor, workspace_id)
    bots = conn.execute(
        f"SELECT {_rows.USER_COLS} FROM workspace_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.workspace_id = ? AND u.kind = 'bot'",
        (workspace_id,),
    ).fetchall()
    bots.sort(key=lambda r: (r["display_name"].casefold(), r["id"]))
    tokens: dict[str, list[BotToken]] = {r["id"]: [] for r in bots}
    for t in conn.execute(
        f"SELECT {_TOKEN_COLS} FROM bot_tokens t JOIN workspace_members m"
        " ON m.workspace_id = t.workspace_id AND m.user_id = t.bot_user_id"
        " WHERE t.workspace_id = ? ORDER BY t.created_at DESC, t.id DESC",
        (workspace_id,),
    ):
        tokens[t["bot_user_id"]].append(_token(t))
    return [BotWithTokens(bot=_rows.user(r), tokens=tokens[r["id"]]) for r in bots]


def list_tokens(conn: sqlite3.Connection, actor: Actor, workspace_id: str, bot_user_id: str
                ) -> list[BotToken]:
    """The bot's tokens in this workspace, newest first (redacted).  The bot must be a member
    of the workspace or have had tokens there."""
    member_role(conn, actor, workspace_id)
    rows = conn.execute(
        f"SELECT {_TOKEN_COLS} FROM bot_tokens t WHERE t.workspace_id = ? AND t.bot_user_id = ?"
        " ORDER BY t.created_at DESC, t.id DESC",
        (workspace_id, bot_user_id),
    ).fetchall()
    if not rows:
        _bot_in(conn, workspace_id, bot_user_id)
    return [_token(r) for r in rows]


def sole_workspace(conn: sqlite3.Connection, actor: Actor, bot_user_id: str) -> str:
    """For the legacy ``/api/bots/{id}/tokens`` routes: the one workspace the bot is in.
    NotFound if the caller shares none of the bot's workspaces; 400 if it is in several."""
    if _bot(conn, bot_user_id) is None:
        raise NotFound("bot not found", code="bot_not_found")
    workspaces = [str(r[0]) for r in conn.execute(
        "SELECT workspace_id FROM workspace_members WHERE user_id = ?", (bot_user_id,))]
    visible = [w for w in workspaces if conn.execute(
        "SELECT 1 FROM workspace_members WHERE workspace_id = ? AND user_id = ?",
        (w, actor.user_id)).fetchone() is not None
        and (actor.bot_workspace_id is None or actor.bot_workspace_id == w)]
    if not visible:
        raise NotFound("bot not found", code="bot_not_found")
    if len(workspaces) != 1:
        raise BadRequest("the bot is in several workspaces; use"
                         " /api/workspaces/{id}/bots/{bot_user_id}/tokens",
                         code="bot_workspace_ambiguous")
    return workspaces[0]


def my_bots(conn: sqlite3.Connection, actor: Actor) -> list[MyBot]:
    """The caller's user-owned bots, one entry per workspace each is in."""
    rows = conn.execute(
        f"SELECT {_rows.USER_COLS}, w.id AS w_id, w.route_id AS w_route_id, w.name AS w_name,"
        " (SELECT COUNT(*) FROM bot_tokens t WHERE t.bot_user_id = u.id"
        "   AND t.workspace_id = w.id AND t.revoked_at IS NULL) AS active"
        " FROM users u JOIN workspace_members m ON m.user_id = u.id"
        " JOIN workspaces w ON w.id = m.workspace_id"
        " WHERE u.kind = 'bot' AND u.owner_user_id = ?"
        " AND NOT EXISTS (SELECT 1 FROM bot_tombstones b WHERE b.bot_user_id = u.id)",
        (actor.user_id,),
    ).fetchall()
    rows.sort(key=lambda r: (r["display_name"].casefold(), r["id"], r["w_name"].casefold()))
    return [
        MyBot(bot=_rows.user(r),
              workspace=BotWorkspace(id=r["w_id"], route_id=r["w_route_id"], name=r["w_name"]),
              active_token_count=int(r["active"]))
        for r in rows
    ]


# --- writes ------------------------------------------------------------------------------------

def _fingerprint(**inputs: object) -> str:
    return orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS).decode()


def _issue_token(tx: Tx, *, bot_user_id: str, workspace_id: str, owner_user_id: str | None,
                 name: str, scopes: list[str], created_by: str, setup_nonce: str) -> BotToken:
    raw = secret_token("ccb")
    tid = new_id("btok")
    tx.execute(
        "INSERT INTO bot_tokens (id, token_hash, bot_user_id, workspace_id, owner_user_id, name,"
        " scopes_json, created_by, setup_nonce, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (tid, token_hash(raw), bot_user_id, workspace_id, owner_user_id, name,
         orjson.dumps(scopes).decode(), created_by, setup_nonce, tx.now),
    )
    row = _token_row(tx.conn, tid)
    assert row is not None
    return _token(row, raw)


def _replay(tx: Tx, actor: Actor, nonce: str, kind: str, fingerprint: str) -> BotIssued | None:
    """The setup-nonce replay of 17.4, or None when the nonce is new."""
    prior = tx.one(
        "SELECT kind, workspace_id, bot_user_id, token_id, fingerprint FROM bot_setup_requests"
        " WHERE created_by = ? AND setup_nonce = ?",
        (actor.user_id, nonce),
    )
    if prior is None:
        return None
    if prior["kind"] != kind or prior["fingerprint"] != fingerprint:
        raise Conflict("setup_nonce was already used with different inputs",
                       code="setup_nonce_conflict")
    gone = Conflict("what this setup_nonce created has since been removed or revoked",
                    code="setup_nonce_conflict")
    bot = tx.one(
        f"SELECT {_rows.USER_COLS} FROM users u JOIN workspace_members m ON m.user_id = u.id"
        " AND m.workspace_id = ? WHERE u.id = ?"
        " AND NOT EXISTS (SELECT 1 FROM bot_tombstones b WHERE b.bot_user_id = u.id)",
        (prior["workspace_id"], prior["bot_user_id"]),
    )
    if bot is None:
        raise gone
    token = None
    if prior["token_id"] is not None:
        row = _token_row(tx.conn, prior["token_id"])
        if row is None or row["revoked_at"] is not None:
            raise gone
        raw = secret_token("ccb")  # a fresh secret; the old one stops working
        tx.execute("UPDATE bot_tokens SET token_hash = ? WHERE id = ?",
                   (token_hash(raw), row["id"]))
        token = _token(row, raw)
    elif kind == "token":
        raise gone
    return BotIssued(bot=_rows.user(bot), token=token, replayed=True)


def _record_nonce(tx: Tx, actor: Actor, nonce: str, kind: str, workspace_id: str,
                  bot_user_id: str, token: BotToken | None, fingerprint: str) -> None:
    if not nonce:
        return
    tx.execute(
        "INSERT INTO bot_setup_requests (created_by, setup_nonce, kind, workspace_id,"
        " bot_user_id, token_id, fingerprint, created_at) VALUES (?,?,?,?,?,?,?,?)",
        (actor.user_id, nonce, kind, workspace_id, bot_user_id,
         token.id if token is not None else None, fingerprint, tx.now),
    )


def create_bot(tx: Tx, actor: Actor, workspace_id: str, req: CreateBot) -> BotIssued:
    if actor.is_bot:
        raise Forbidden("bots cannot create bots", code="human_only")
    role = require_can_write(tx.conn, actor, workspace_id, now=tx.now, budget=False)
    display_name = clean_display_name(req.display_name)
    owner = (req.owner_user_id or "").strip() or None
    if owner is None:
        if role not in MANAGER_ROLES:
            raise Forbidden("workspace manager permission required to create a service bot",
                            code="workspace_manager_required")
    elif owner != actor.user_id:
        raise Forbidden("only the bot owner can create a user-owned bot: owner_user_id must be"
                        " the caller", code="bot_owner_required")
    handle = clean_handle(req.handle)
    avatar_url = clean_avatar_url(req.avatar_url)
    token_name = clean_token_name(req.token_name)
    scopes = _scopes(req.scopes)
    nonce = clean_setup_nonce(req.setup_nonce)
    fingerprint = _fingerprint(
        workspace_id=workspace_id, display_name=display_name, owner_user_id=owner,
        handle=handle, avatar_url=avatar_url, token_name=token_name, scopes=scopes,
        initial_token=req.initial_token)
    if nonce:
        replayed = _replay(tx, actor, nonce, "bot", fingerprint)
        if replayed is not None:
            return replayed
    if handle and tx.one("SELECT 1 FROM users WHERE handle = ?", (handle,)) is not None:
        raise Conflict(f"handle {handle!r} is already taken", code="handle_taken")
    bot_id = new_id("usr")
    tx.execute(
        "INSERT INTO users (id, kind, display_name, handle, avatar_url, owner_user_id,"
        " created_at) VALUES (?, 'bot', ?, ?, ?, ?, ?)",
        (bot_id, display_name, handle, avatar_url, owner, tx.now),
    )
    tx.execute(
        "INSERT INTO workspace_members (workspace_id, user_id, role, created_at)"
        " VALUES (?, ?, 'bot', ?)",
        (workspace_id, bot_id, tx.now),
    )
    refresh_member_sort_keys(tx, bot_id)  # the member directory's Unicode sort keys
    token = None
    if req.initial_token:
        token = _issue_token(tx, bot_user_id=bot_id, workspace_id=workspace_id,
                             owner_user_id=owner, name=token_name, scopes=scopes,
                             created_by=actor.user_id, setup_nonce=nonce)
    _record_nonce(tx, actor, nonce, "bot", workspace_id, bot_id, token, fingerprint)
    bot = _bot(tx.conn, bot_id)
    assert bot is not None
    return BotIssued(bot=_rows.user(bot), token=token)


def create_token(tx: Tx, actor: Actor, workspace_id: str, bot_user_id: str,
                 req: CreateBotToken) -> BotIssued:
    if actor.is_bot:
        raise Forbidden("bots cannot mint tokens", code="human_only")
    role = require_can_write(tx.conn, actor, workspace_id, now=tx.now, budget=False)
    bot = _bot_in(tx.conn, workspace_id, bot_user_id)
    _require_token_admin(tx.conn, actor, workspace_id, bot["owner_user_id"], role, tx.now)
    name = clean_token_name(req.name)
    scopes = _scopes(req.scopes)
    nonce = clean_setup_nonce(req.setup_nonce)
    fingerprint = _fingerprint(workspace_id=workspace_id, bot_user_id=bot_user_id, name=name,
                               scopes=scopes)
    if nonce:
        replayed = _replay(tx, actor, nonce, "token", fingerprint)
        if replayed is not None:
            return replayed
    token = _issue_token(tx, bot_user_id=bot_user_id, workspace_id=workspace_id,
                         owner_user_id=bot["owner_user_id"], name=name, scopes=scopes,
                         created_by=actor.user_id, setup_nonce=nonce)
    _record_nonce(tx, actor, nonce, "token", workspace_id, bot_user_id, token, fingerprint)
    return BotIssued(bot=_rows.user(bot), token=token)


def revoke_token(tx: Tx, actor: Actor, token_id: str) -> BotToken:
    """Revoke one token (idempotent: an already revoked token is returned as it is)."""
    row = _token_row(tx.conn, token_id)
    if row is None:
        raise NotFound("bot token not found", code="bot_token_not_found")
    owner = tx.one("SELECT owner_user_id FROM users WHERE id = ?", (row["bot_user_id"],))
    owner_id = owner[0] if owner is not None else None
    if actor.user_id != owner_id:
        role = member_role(tx.conn, actor, row["workspace_id"])  # strangers: 404
        _require_token_admin(tx.conn, actor, row["workspace_id"], owner_id, role, tx.now)
    if row["revoked_at"] is None:
        tx.execute("UPDATE bot_tokens SET revoked_at = ? WHERE id = ?", (tx.now, token_id))
        row = _token_row(tx.conn, token_id)
        assert row is not None
    return _token(row)


def _revoke_all(tx: Tx, bot_user_id: str, workspace_id: str | None = None) -> tuple[str, ...]:
    sql = "UPDATE bot_tokens SET revoked_at = ? WHERE bot_user_id = ? AND revoked_at IS NULL"
    params: list[str] = [tx.now, bot_user_id]
    if workspace_id is not None:
        sql += " AND workspace_id = ?"
        params.append(workspace_id)
    return tuple(str(r[0]) for r in tx.execute(sql + " RETURNING id", params).fetchall())


def remove_membership(tx: Tx, actor: Actor, workspace_id: str, bot_user_id: str
                      ) -> BotRemoval:
    """A manager takes a bot out of the workspace: membership gone, that workspace's tokens
    revoked."""
    if actor.is_bot:
        raise Forbidden("bots cannot remove bots", code="human_only")
    role = member_role(tx.conn, actor, workspace_id)
    bot = _bot_in(tx.conn, workspace_id, bot_user_id)
    _require_token_admin(tx.conn, actor, workspace_id, None, role, tx.now)
    tx.execute("DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?",
               (workspace_id, bot["id"]))
    return BotRemoval(bot_user_id, _revoke_all(tx, bot_user_id, workspace_id), (workspace_id,))


def delete_bot(tx: Tx, actor: Actor, bot_user_id: str) -> BotRemoval:
    """Retire a bot (17.1).  User-owned: its owner.  Service: an active manager of every
    workspace it is tied to (by membership or by a token)."""
    if actor.is_bot:
        raise Forbidden("bots cannot delete bots", code="human_only")
    bot = _bot(tx.conn, bot_user_id)
    if bot is None:
        raise NotFound("bot not found", code="bot_not_found")
    tied = {str(r[0]) for r in tx.execute(
        "SELECT workspace_id FROM workspace_members WHERE user_id = ?"
        " UNION SELECT workspace_id FROM bot_tokens WHERE bot_user_id = ?",
        (bot_user_id, bot_user_id))}
    shared = {w for w in tied if tx.one(
        "SELECT 1 FROM workspace_members WHERE workspace_id = ? AND user_id = ?",
        (w, actor.user_id)) is not None}
    owner = bot["owner_user_id"]
    if actor.user_id != owner:
        if not shared:
            raise NotFound("bot not found", code="bot_not_found")
        if owner is not None:
            raise Forbidden("only the bot owner can delete this bot", code="bot_owner_required")
        if not all(w in shared and is_active_manager(tx.conn, actor, w, tx.now) for w in tied):
            raise Forbidden("deleting a service bot needs a manager of every workspace it is"
                            " in", code="workspace_manager_required")
    tx.execute(
        "INSERT INTO bot_tombstones (bot_user_id, former_handle, deleted_at, deleted_by)"
        " VALUES (?, ?, ?, ?)",
        (bot_user_id, bot["handle"], tx.now, actor.user_id),
    )
    tx.execute("UPDATE users SET handle = '' WHERE id = ?", (bot_user_id,))
    revoked = _revoke_all(tx, bot_user_id)
    left = tuple(str(r[0]) for r in tx.execute(
        "DELETE FROM workspace_members WHERE user_id = ? RETURNING workspace_id",
        (bot_user_id,)).fetchall())
    return BotRemoval(
        bot_user_id, revoked, left,
        DeletedBot(id=bot_user_id, display_name=bot["display_name"],
                   former_handle=bot["handle"], deleted_at=tx.now),
    )
