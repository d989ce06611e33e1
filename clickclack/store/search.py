"""Message search: ``GET /api/search`` (contract 15 with D8).

What a query means
------------------
``q`` is split on whitespace; ``"double quotes"`` make one phrase.  Every term must match
(AND).  A term of **three or more characters** matches a message when

* a word of the message has the same stem (the word index: porter over unicode61, so case and
  accents do not matter: ``deploying`` finds ``deployed``, ``cafe`` finds ``Café``), or
* the term occurs anywhere in the text (the substring index: ``stna`` finds ``hostname``,
  ``example.com/bu`` finds a piece of a URL).  Substrings ignore case for ASCII letters only
  (SQLite's LIKE); whole words are matched case- and accent-insensitively by the word index.

Shorter terms cannot use trigrams and fall back to the word index: two characters match
**word prefixes** (``db`` finds ``db1``), one character matches the **word** (``a``, ``5``).
``term*`` is accepted: it makes a one-character term a word prefix; longer terms already
match inside words, so there is no need for an implicit prefix on the last term while typing
(``hostn`` finds ``hostname`` as it is).  A phrase matches its words in sequence (stemmed) or
its exact text as a substring.  Characters that are neither letters nor digits are not words:
a short term made only of them (``!!``) matches nothing.

Operators (a token ``key:value``; an operator with an empty value is ignored while typing;
an unknown value of a known key is a 400): ``in:#channel`` (a visible channel by name; unknown
gives no results), ``in:@handle`` (your 1:1 DM with that person), ``from:@handle``,
``before:YYYY-MM-DD`` / ``after:YYYY-MM-DD`` (exclusive; whole UTC days) / ``on:YYYY-MM-DD``,
``has:link`` (an http:// or https:// URL in the body), ``has:file`` (an attachment; nothing
while uploads do not exist), ``is:thread`` (thread replies, and roots whose thread has
replies: ``thread_state.reply_count > 0``),
``is:pinned``.  Every operator narrows: two different ``in:`` give nothing.  A query of
operators only lists the matching messages.

What the caller sees
--------------------
Channel **and DM** messages the caller can see, in one workspace: public channels (guests:
only ``#guest``), private channels the caller is a member of, and the caller's DMs.  This
differs from upstream, whose workspace-wide search left DMs out: D8 says "channel and DM
messages the caller can see".  Bot tokens are bound to their workspace and see DMs only with
``dms:read``.  Deleted messages are not in the indexes (triggers remove them in the deleting
transaction), edits are re-indexed in the editing transaction.

Order and cost
--------------
Newest first (D8) by ``messages.rowid``, which is insertion order.  ``sort=relevance`` is not
offered (400): ranking is O(matches) in FTS5, newest first stops after one page.  The plan:

1. Each term is *probed* (skipped for a lone term that cannot lose to its scope): its newest
   100 index hits below the cursor (index only, no rows read) estimate how many it matches.
2. The rarest term drives: its hits are walked newest first straight from the FTS5 indexes
   (the word index, and the trigram index whose candidates LIKE confirms), joined to the
   message row and filtered per candidate by visibility, operators and the other terms (LIKE
   on the body, and the word index: a rowid lookup per candidate, or the term's hits collected
   once when that is cheaper for the expected number of candidates).  The streams are merged.
3. When the conversations in scope hold fewer messages than that (one channel, ``in:``, a
   guest's #guest, a small workspace in a big database), their messages are walked newest
   first through an index instead and every term is checked per message.
4. Operators alone walk the scope's index, or let SQLite pick (pinned messages, attachments,
   an author), or walk the table newest first; each stops after one page.

A one-character prefix (``x*``) has no prefix index: FTS5 merges every matching word's list
once per statement, so it is slow on big databases (and bounded by the time limit).

Everything runs in one call of the store's long-read pool (a worker thread, the read time
limit, SQLite's progress handler): a query that cannot finish answers 503 ``query_timeout``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import heapq
import math
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import orjson

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Forbidden, NotFound
from clickclack.store import _rows
from clickclack.store.access import GUEST_CHANNEL, member_role
from clickclack.store.scopes import channel_scope, dm_scope
from clickclack.types.search import Highlight, SearchPage, SearchResult

LIMIT_MAX = 100
LIMIT_DEFAULT = 50
Q_MAX_CHARS = 500
MAX_TERMS = 32
SORTS = ("newest",)
PROBE = 100  # index hits read per term to estimate its frequency
SCOPE_FACTOR = 2  # walking one message of the scope costs about as much as 2 index hits
# A word-index lookup for one message costs about as much as collecting LOOKUP_COST hits of a
# term once; up to MATERIALIZE_MIN hits are always collected.
LOOKUP_COST = 100
MATERIALIZE_MIN = 5_000
TRIGRAMS_MAX = 12  # trigrams ANDed per substring (LIKE confirms the rest)
SNIPPET_CHARS = 200
SNIPPET_LEAD = 60  # code points kept before the first match
ELLIPSIS = "…"
_CURSOR_VERSION = 1
_TOP = 2**63 - 1
_OPERATOR = re.compile(r"^(in|from|before|after|on|has|is):(.*)$", re.IGNORECASE | re.DOTALL)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MARK_OPEN, _MARK_CLOSE = "\x01", "\x02"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD = re.compile(r"[^\W_]+")
# has:link: http:// or https:// (any case) followed by something that is not white space.
_LINK_HTTP = "*[hH][tT][tT][pP]://[^ \t\r\n]*"
_LINK_HTTPS = "*[hH][tT][tT][pP][sS]://[^ \t\r\n]*"


# --- the query language -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Term:
    """One search term (or phrase) and how each index is asked about it."""

    text: str
    words: str | None  # FTS5 expression for the word index
    prefix: str | None  # folded word prefix, when ``words`` is a prefix query (highlighting)
    slow_words: bool  # a one-character prefix: no prefix index, so never checked per row
    like: str | None  # LIKE pattern (three characters or more)
    trigrams: str | None  # FTS5 expression for the trigram index (candidates for ``like``)

    @property
    def matchable(self) -> bool:
        return self.words is not None or self.like is not None


@dataclass(slots=True)
class Query:
    terms: list[Term] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # in:#name (lower-cased, no '#')
    peers: list[str] = field(default_factory=list)  # in:@handle
    authors: list[str] = field(default_factory=list)  # from:@handle
    since: str | None = None  # created_at >= since
    until: str | None = None  # created_at < until
    has_link: bool = False
    has_file: bool = False
    is_thread: bool = False
    is_pinned: bool = False

    @property
    def has_operators(self) -> bool:
        return bool(self.channels or self.peers or self.authors or self.since or self.until
                    or self.has_link or self.has_file or self.is_thread or self.is_pinned)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _trigrams(text: str) -> str:
    """The text's trigrams (at most TRIGRAMS_MAX, spread over it): a document holding the
    substring holds all of them; LIKE confirms the candidates.  Overlapping trigrams, not just
    a cover: those that straddle syllables are the rare ones that keep candidates few."""
    starts = list(range(len(text) - 2))
    if len(starts) > TRIGRAMS_MAX:
        step = (len(starts) - 1) / (TRIGRAMS_MAX - 1)
        starts = sorted({starts[round(i * step)] for i in range(TRIGRAMS_MAX)})
    grams = list(dict.fromkeys(text[s:s + 3] for s in starts))
    return " AND ".join(_quote(g) for g in grams)


def fold(text: str) -> str:
    """Lower-case without accents, roughly as unicode61 folds words (used for highlighting)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def make_term(text: str, star: bool = False) -> Term:
    n = len(text)
    has_word = any(c.isalnum() for c in text)
    if n >= 3:
        return Term(text, _quote(text) if has_word else None, None, False, _like(text),
                    _trigrams(text))
    if text.isalnum() and (n == 2 or star):
        return Term(text, _quote(text) + " *", fold(text), n == 1, None, None)
    return Term(text, _quote(text) if has_word else None, None, False, None, None)


def _date(value: str, op: str) -> dt.date:
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{op}: needs a date like 2024-05-31, not {value!r}",
                         code="invalid_search_query") from None


def parse(q: str) -> Query:
    """Split ``q`` into terms and operators (see the module docstring)."""
    query = Query()
    tokens: list[tuple[str, bool, bool]] = []  # (text, quoted, star)
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        if q[i] == '"':
            end = q.find('"', i + 1)
            text = q[i + 1:] if end < 0 else q[i + 1:end]
            i = n if end < 0 else end + 1
            star = i < n and q[i] == "*"
            i += 1 if star else 0
            tokens.append((text.strip(), True, star))
            continue
        j = i
        while j < n and not q[j].isspace():
            j += 1
        tokens.append((q[i:j], False, False))
        i = j
    for text, quoted, star in tokens:
        op = None if quoted else _OPERATOR.match(text)
        if op is None:
            if not quoted and text.endswith("*"):
                text, star = text.rstrip("*"), True
            if text:
                query.terms.append(make_term(text, star))
            continue
        key, value = op.group(1).lower(), op.group(2).strip()
        if not value:
            continue  # still being typed
        if key == "in":
            if value.startswith("@"):
                query.peers.append(value[1:].lower())
            else:
                query.channels.append(value.removeprefix("#").lower())
        elif key == "from":
            query.authors.append(value.removeprefix("@").lower())
        elif key in ("before", "after", "on"):
            day = _date(value, key)
            first, after = day.isoformat(), (day + dt.timedelta(days=1)).isoformat()
            if key in ("after", "on"):
                since = after if key == "after" else first
                query.since = max(query.since or since, since)
            if key in ("before", "on"):
                until = first if key == "before" else after
                query.until = min(query.until or until, until)
        elif key == "has" and value.lower() in ("link", "file"):
            setattr(query, f"has_{value.lower()}", True)
        elif key == "is" and value.lower() in ("thread", "pinned"):
            setattr(query, f"is_{value.lower()}", True)
        else:
            raise BadRequest(f"unknown search operator {key}:{value} (has:link, has:file, "
                             "is:thread and is:pinned are known)", code="invalid_search_query")
    if len(query.terms) > MAX_TERMS:
        raise BadRequest(f"a search may have at most {MAX_TERMS} terms", code="too_many_terms")
    return query


# --- cursors ------------------------------------------------------------------------------------

def _fingerprint(actor: Actor, workspace_id: str, channel_id: str | None, dm_id: str | None,
                 q: str, sort: str) -> str:
    raw = "\x1f".join((actor.user_id, workspace_id, channel_id or "", dm_id or "", q, sort))
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest()[:16]).decode()


def encode_cursor(fingerprint: str, rowid: int) -> str:
    raw = orjson.dumps([_CURSOR_VERSION, fingerprint, rowid])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> int:
    stale = BadRequest("stale or mismatched cursor: start again without it",
                       code="cursor_mismatch")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise stale from None
    if (not isinstance(data, list) or len(data) != 3 or data[0] != _CURSOR_VERSION
            or data[1] != fingerprint or not isinstance(data[2], int)
            or isinstance(data[2], bool) or not 0 < data[2] <= _TOP):
        raise stale
    return data[2]


# --- scope: what the caller may see ---------------------------------------------------------------

@dataclass(slots=True)
class Audience:
    channels: list[str]
    dms: list[str]
    narrowed: bool  # one conversation (parameter, in:, or a guest's #guest)


def _audience(conn: sqlite3.Connection, actor: Actor, workspace_id: str, role: str,
              channel_id: str | None, dm_id: str | None, query: Query) -> Audience:
    sees_dms = role != "guest" and (not actor.is_bot or "dms:read" in (actor.scopes or ()))
    if channel_id is not None:
        scope = channel_scope(conn, actor, channel_id)
        if scope.workspace_id != workspace_id:
            raise NotFound("channel not found", code="channel_not_found")
        audience = Audience([channel_id], [], True)
    elif dm_id is not None:
        if not sees_dms and actor.is_bot:
            raise Forbidden("bot token lacks the dms:read scope", code="missing_scope",
                            required_scope="dms:read")
        scope = dm_scope(conn, actor, dm_id)
        if scope.workspace_id != workspace_id:
            raise NotFound("conversation not found", code="dm_not_found")
        audience = Audience([], [dm_id], True)
    elif role == "guest":
        audience = Audience([r[0] for r in conn.execute(
            "SELECT id FROM channels WHERE workspace_id = ? AND name = ?",
            (workspace_id, GUEST_CHANNEL))], [], True)
    else:
        channels = [r[0] for r in conn.execute(
            "SELECT c.id FROM channels c WHERE c.workspace_id = ? AND (c.kind <> 'private'"
            " OR EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = c.id"
            " AND cm.user_id = ?))", (workspace_id, actor.user_id))]
        dms = [r[0] for r in conn.execute(
            "SELECT d.id FROM direct_conversations d JOIN direct_conversation_members dm"
            " ON dm.conversation_id = d.id AND dm.user_id = ? WHERE d.workspace_id = ?",
            (actor.user_id, workspace_id))] if sees_dms else []
        audience = Audience(channels, dms, False)
    if query.channels:
        names = set(query.channels)
        if len(names) > 1:
            return Audience([], [], True)
        audience = Audience([r[0] for r in conn.execute(
            "SELECT id FROM channels WHERE workspace_id = ? AND name = ?"
            " AND id IN (SELECT value FROM json_each(?))",
            (workspace_id, names.pop(), orjson.dumps(audience.channels).decode()))], [], True)
    if query.peers:
        peers = {r[0] for r in conn.execute(
            "SELECT u.id FROM users u JOIN workspace_members m ON m.user_id = u.id"
            " AND m.workspace_id = ? WHERE u.handle IN (SELECT value FROM json_each(?))",
            (workspace_id, orjson.dumps(sorted(set(query.peers))).decode()))}
        if len(peers) != 1 or len(set(query.peers)) != 1:
            return Audience([], [], True)
        key = "|".join(sorted({actor.user_id, peers.pop()}))
        audience = Audience([], [r[0] for r in conn.execute(
            "SELECT id FROM direct_conversations WHERE workspace_id = ? AND member_set_key = ?"
            " AND id IN (SELECT value FROM json_each(?))",
            (workspace_id, key, orjson.dumps(audience.dms).decode()))], True)
    return audience


# --- SQL building ---------------------------------------------------------------------------------

class _Sql:
    """Named parameters, so conditions can be composed in any order."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return ":" + name


def _term_check(sql: _Sql, term: Term, words_hits: float = float("inf"),
                visits: float = 0.0) -> str:
    """SQL (over ``m``) that is true when the message matches the term.  The word-index part is
    either a rowid lookup per message, or the term's word-index rowids computed once for the
    statement, whichever is cheaper for ``words_hits`` (its estimated hits) and ``visits``
    (the messages the statement will check at most)."""
    parts = []
    if term.like is not None:
        parts.append(f"m.body LIKE {sql.bind(term.like)} ESCAPE '\\'")
    if term.words is not None:
        expr = sql.bind(term.words)
        if term.slow_words or words_hits <= max(MATERIALIZE_MIN, LOOKUP_COST * visits):
            parts.append("m.rowid IN (SELECT rowid FROM message_search_words"
                         f" WHERE message_search_words MATCH {expr})")
        else:
            parts.append("EXISTS (SELECT 1 FROM message_search_words"
                         f" WHERE message_search_words MATCH {expr} AND rowid = m.rowid)")
    return "(" + " OR ".join(parts) + ")"


@dataclass(slots=True)
class _Plan:
    conn: sqlite3.Connection
    sql: _Sql
    filters: list[str]  # conditions over m: visibility, operators, the cursor
    index: str | None  # the index that walks the scope newest first, when it is one kind
    below: int  # rowids strictly below this (the cursor)
    want: int  # rows wanted (limit + 1)


def _filters(conn: sqlite3.Connection, sql: _Sql, workspace_id: str, audience: Audience,
             query: Query, authors: list[str], below: int, has_attachments: bool
             ) -> tuple[list[str], str | None] | None:
    """The conditions over ``m``, and the index that walks the scope newest first (when the
    scope is channels only or DMs only); None when nothing can match."""
    scope_parts = []
    if audience.channels:
        scope_parts.append("m.channel_id IN (SELECT value FROM json_each("
                           f"{sql.bind(orjson.dumps(audience.channels).decode())}))")
    if audience.dms:
        scope_parts.append("m.direct_conversation_id IN (SELECT value FROM json_each("
                           f"{sql.bind(orjson.dumps(audience.dms).decode())}))")
    scope = "(" + " OR ".join(scope_parts) + ")"
    index = None
    if len(scope_parts) == 1:
        index = "messages_search_channel" if audience.channels else "messages_search_dm"
    where = [f"m.rowid < {sql.bind(below)}", f"m.workspace_id = {sql.bind(workspace_id)}",
             scope, "m.kind = 'message'", "m.deleted_at IS NULL"]
    if authors:
        where.append(f"m.author_id = {sql.bind(authors[0])}")
    if query.since:
        where.append(f"m.created_at >= {sql.bind(query.since)}")
    if query.until:
        where.append(f"m.created_at < {sql.bind(query.until)}")
    if query.has_link:
        where.append(f"(m.body GLOB {sql.bind(_LINK_HTTP)} OR m.body GLOB {sql.bind(_LINK_HTTPS)})")
    if query.has_file:
        if not has_attachments:
            return None
        where.append("EXISTS (SELECT 1 FROM message_attachments a WHERE a.message_id = m.id)")
    if query.is_thread:
        where.append("(m.parent_message_id IS NOT NULL OR EXISTS (SELECT 1 FROM thread_state t"
                     " WHERE t.root_message_id = m.id AND t.reply_count > 0))")
    if query.is_pinned:
        where.append("m.id IN (SELECT message_id FROM pinned_messages"
                     f" WHERE workspace_id = {sql.bind(workspace_id)})")
    return where, index


def _probe(plan: _Plan, table: str, expr: str, top: int) -> float:
    """Estimated index hits of ``expr`` below the cursor, from its newest PROBE hits."""
    rows = plan.conn.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? AND rowid < ?"
        f" ORDER BY rowid DESC LIMIT {PROBE}", (expr, plan.below)).fetchall()
    if len(rows) < PROBE:
        return float(len(rows))
    return PROBE * top / max(1, top - int(rows[-1][0]))


@dataclass(frozen=True, slots=True)
class _Estimate:
    words: float  # word-index hits
    trigrams: float  # trigram-index candidates

    @property
    def total(self) -> float:
        return self.words + self.trigrams


def _estimate(plan: _Plan, term: Term, top: int) -> _Estimate:
    if term.slow_words:
        # Never a per-row lookup; driving it merges its doclists once.
        return _Estimate(float("inf"), 0.0)
    words = trigrams = 0.0
    if term.words is not None:
        words = _probe(plan, "message_search_words", term.words, top)
    if term.trigrams is not None:
        trigrams = _probe(plan, "message_search_trigrams", term.trigrams, top)
    return _Estimate(words, trigrams)


def _stream(plan: _Plan, term: Term, others: list[tuple[Term, _Estimate]],
            visits: float = 0.0) -> list[int]:
    """The driving term's matches, newest first, filtered: up to ``want`` rowids.  ``visits``:
    how many candidates each stream is expected to check."""
    checks = [_term_check(plan.sql, t, e.words, visits) for t, e in others]
    where = " AND ".join([*plan.filters, *checks])
    found: list[list[int]] = []
    if term.words is not None:
        expr = plan.sql.bind(term.words)
        found.append([r[0] for r in plan.conn.execute(
            "SELECT m.rowid FROM message_search_words CROSS JOIN messages m"
            " ON m.rowid = message_search_words.rowid"
            f" WHERE message_search_words MATCH {expr}"
            f" AND message_search_words.rowid < {plan.sql.bind(plan.below)} AND {where}"
            f" ORDER BY message_search_words.rowid DESC LIMIT {plan.want}",
            plan.sql.params).fetchall()])
    if term.trigrams is not None:
        expr, like = plan.sql.bind(term.trigrams), plan.sql.bind(term.like)
        found.append([r[0] for r in plan.conn.execute(
            "SELECT m.rowid FROM message_search_trigrams CROSS JOIN messages m"
            " ON m.rowid = message_search_trigrams.rowid"
            f" WHERE message_search_trigrams MATCH {expr}"
            f" AND message_search_trigrams.rowid < {plan.sql.bind(plan.below)}"
            f" AND m.body LIKE {like} ESCAPE '\\' AND {where}"
            f" ORDER BY message_search_trigrams.rowid DESC LIMIT {plan.want}",
            plan.sql.params).fetchall()])
    merged: list[int] = []
    for rowid in heapq.merge(*found, reverse=True):
        if not merged or merged[-1] != rowid:
            merged.append(rowid)
    return merged[:plan.want]


def _walk(plan: _Plan, checks: list[str], *, force_index: bool) -> list[int]:
    """Messages of the scope newest first (through the scope's index when ``force_index``,
    else as SQLite chooses), filtered."""
    hint = f" INDEXED BY {plan.index}" if force_index and plan.index else ""
    where = " AND ".join([*plan.filters, *checks])
    return [r[0] for r in plan.conn.execute(
        f"SELECT m.rowid FROM messages m{hint} WHERE {where}"
        f" ORDER BY m.rowid DESC LIMIT {plan.want}", plan.sql.params).fetchall()]


def _scope_size(conn: sqlite3.Connection, audience: Audience) -> int:
    """Root messages in the scope (``last_seq``): a cheap size estimate."""
    total = 0
    for table, ids in (("channels", audience.channels), ("direct_conversations", audience.dms)):
        if ids:
            total += int(conn.execute(
                f"SELECT COALESCE(SUM(last_seq), 0) FROM {table}"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (orjson.dumps(ids).decode(),)).fetchone()[0])
    return total


def _candidates(plan: _Plan, query: Query, audience: Audience) -> list[int]:
    terms = query.terms
    if not terms:
        # Operators only.  A narrowed scope walks its index; the pinned set, attachments and
        # an author are selective, so SQLite picks its plan; otherwise walk the table newest
        # first (it stops after one page).
        if audience.narrowed or query.is_pinned or query.has_file or query.authors:
            return _walk(plan, [], force_index=audience.narrowed and not query.is_pinned)
        where = " AND ".join(plan.filters)
        return [r[0] for r in plan.conn.execute(
            f"SELECT m.rowid FROM messages m NOT INDEXED WHERE {where}"
            f" ORDER BY m.rowid DESC LIMIT {plan.want}", plan.sql.params).fetchall()]
    top = min(plan.below, int(plan.conn.execute(
        "SELECT COALESCE(MAX(rowid), 0) + 1 FROM messages").fetchone()[0]))
    scope_size = _scope_size(plan.conn, audience)
    scope = scope_size * SCOPE_FACTOR
    if len(terms) == 1 and scope >= top:
        # One term, and its scope cannot be smaller than its matches: no estimate needed.
        return _stream(plan, terms[0], [], top)
    estimates = [_estimate(plan, t, top) for t in terms]
    driver = min(range(len(terms)), key=lambda i: estimates[i].total)
    if scope < estimates[driver].total:
        return _walk(plan, [_term_check(plan.sql, t, e.words, scope_size)
                            for t, e in zip(terms, estimates, strict=True)], force_index=True)
    others = [(t, e) for i, (t, e) in enumerate(zip(terms, estimates, strict=True))
              if i != driver]
    # Candidates the streams check before a page is full, if the terms occur independently.
    share = math.prod(min(1.0, e.total / max(1, top)) for _, e in others)
    visits = min(estimates[driver].total, plan.want / max(share, 1e-9))
    return _stream(plan, terms[driver], others, visits)


# --- results: rows, snippets and highlights -------------------------------------------------------

_RESULT_SELECT = (
    "SELECT m.rowid AS rid, m.id, m.workspace_id, m.channel_id, m.direct_conversation_id,"
    " m.parent_message_id, m.thread_root_id, m.channel_seq, m.thread_seq, m.created_at,"
    " m.edited_at, m.body, c.name AS channel_name, ts.reply_count AS ts_reply_count,"
    " ts.last_reply_at AS ts_last_reply_at,"
    " u.id AS a_id, u.kind AS a_kind, u.display_name AS a_display_name, u.handle AS a_handle,"
    " u.avatar_url AS a_avatar_url, u.created_at AS a_created_at,"
    " u.owner_user_id AS a_owner_user_id"
    " FROM messages m JOIN users u ON u.id = m.author_id"
    " LEFT JOIN channels c ON c.id = m.channel_id"
    " LEFT JOIN thread_state ts ON ts.root_message_id = m.id"
    " WHERE m.rowid IN (SELECT value FROM json_each(?)) AND m.deleted_at IS NULL"
)


def _word_ranges(conn: sqlite3.Connection, terms: list[Term], rowids: list[int]
                 ) -> dict[int, list[tuple[int, int]]]:
    """Word-index matches (stems, phrases, two-character prefixes) as FTS5 itself marks them
    (highlight()), in code points of the body."""
    exprs = [t.words for t in terms if t.words is not None and not t.slow_words]
    if not exprs or not rowids:
        return {}
    out: dict[int, list[tuple[int, int]]] = {}
    for rowid, marked in conn.execute(
        "SELECT rowid, highlight(message_search_words, 0, char(1), char(2))"
        " FROM message_search_words WHERE message_search_words MATCH ?"
        " AND rowid IN (SELECT value FROM json_each(?))",
        (" OR ".join(exprs), orjson.dumps(rowids).decode())):
        ranges, pos, start = [], 0, 0
        for ch in marked:
            if ch == _MARK_OPEN:
                start = pos
            elif ch == _MARK_CLOSE:
                ranges.append((start, pos))
            else:
                pos += 1
        out[rowid] = ranges
    return out


def _ranges(body: str, terms: list[Term], words: list[tuple[int, int]]
            ) -> list[tuple[int, int]]:
    """Every match in the body: word-index marks, substrings (ASCII case-insensitive, like
    LIKE) and one-character word prefixes; merged and sorted."""
    found = [] if _MARK_OPEN in body or _MARK_CLOSE in body else list(words)
    for term in terms:
        if term.like is not None:
            pattern = re.compile(re.escape(term.text), re.IGNORECASE | re.ASCII)
            found += [(m.start(), m.end()) for m in pattern.finditer(body)]
        elif term.slow_words and term.prefix:
            found += [(m.start(), m.end()) for m in _WORD.finditer(body)
                      if fold(m.group()).startswith(term.prefix)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in found if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def snippet(body: str, ranges: list[tuple[int, int]]) -> tuple[str, list[Highlight]]:
    """At most SNIPPET_CHARS code points of plain text around the first match, ``…`` where
    cut, with the highlights shifted into it."""
    text = _CONTROL.sub(" ", body)  # one for one: offsets stay valid
    if len(text) <= SNIPPET_CHARS:
        start, end = 0, len(text)
    else:
        first = ranges[0][0] if ranges else 0
        start = max(0, min(first - SNIPPET_LEAD, len(text) - SNIPPET_CHARS))
        if start > 0:  # begin at a word when one starts close by
            space = text.rfind(" ", max(0, start - 20), start + 1)
            start = space + 1 if space >= 0 else start
        end = min(len(text), start + SNIPPET_CHARS)
        if end < len(text):
            space = text.rfind(" ", end - 20, end)
            end = space if space > start else end
    lead = ELLIPSIS if start > 0 else ""
    shift = len(lead) - start
    out = [Highlight(start=max(s, start) + shift, end=min(e, end) + shift)
           for s, e in ranges if e > start and s < end]
    return lead + text[start:end] + (ELLIPSIS if end < len(text) else ""), out


def _result(r: sqlite3.Row, ranges: list[tuple[int, int]]) -> SearchResult:
    text, highlights = snippet(r["body"], ranges)
    is_root = r["parent_message_id"] is None
    return SearchResult(
        id=r["id"], workspace_id=r["workspace_id"], author=_rows.user(r, "a_"),
        thread_root_id=r["thread_root_id"], created_at=r["created_at"],
        reply_count=(r["ts_reply_count"] or 0) if is_root else 0,
        last_reply_at=r["ts_last_reply_at"] if is_root else None,
        snippet=text, highlights=highlights, channel_id=r["channel_id"],
        channel_name=r["channel_name"], direct_conversation_id=r["direct_conversation_id"],
        parent_message_id=r["parent_message_id"], channel_seq=r["channel_seq"],
        thread_seq=r["thread_seq"], edited_at=r["edited_at"],
    )


# --- the entry point ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SearchParams:
    workspace_id: str
    q: str
    channel_id: str | None = None
    dm_id: str | None = None
    limit: int = LIMIT_DEFAULT
    cursor: str | None = None
    sort: str = "newest"


def search(conn: sqlite3.Connection, actor: Actor, p: SearchParams, has_attachments: bool
           ) -> SearchPage:
    """One page of results.  All statements read one snapshot (a read transaction), so a
    message edited or deleted meanwhile cannot show up half-changed."""
    conn.execute("BEGIN")
    try:
        return _search(conn, actor, p, has_attachments)
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def _search(conn: sqlite3.Connection, actor: Actor, p: SearchParams, has_attachments: bool
            ) -> SearchPage:
    role = member_role(conn, actor, p.workspace_id)  # NotFound for outsiders (D2)
    if p.channel_id and p.dm_id:
        raise BadRequest("give channel_id or direct_conversation_id, not both",
                         code="search_scope_conflict")
    if not 1 <= p.limit <= LIMIT_MAX:
        raise BadRequest(f"limit must be from 1 to {LIMIT_MAX}", code="invalid_limit")
    if p.sort not in SORTS:
        raise BadRequest("sort must be newest: results are always newest first (D8);"
                         " relevance ranking is not offered", code="invalid_sort")
    q = p.q.strip()
    if len(q) > Q_MAX_CHARS:
        raise BadRequest(f"q must be at most {Q_MAX_CHARS} characters", code="q_too_long")
    fingerprint = _fingerprint(actor, p.workspace_id, p.channel_id, p.dm_id, q, p.sort)
    below = decode_cursor(p.cursor, fingerprint) if p.cursor else _TOP
    empty = SearchPage(results=[], next_cursor=None)
    query = parse(q)
    audience = _audience(conn, actor, p.workspace_id, role, p.channel_id or None,
                         p.dm_id or None, query)  # 404s for invisible scopes come first
    if not query.terms and not query.has_operators:
        return empty
    if not all(t.matchable for t in query.terms) or not (audience.channels or audience.dms):
        return empty
    authors: list[str] = []
    if query.authors:
        handles = set(query.authors)
        row = conn.execute("SELECT id FROM users WHERE handle = ?", (handles.pop(),)).fetchone()
        if row is None or handles:
            return empty
        authors = [row[0]]
    sql = _Sql()
    built = _filters(conn, sql, p.workspace_id, audience, query, authors, below,
                     has_attachments)
    if built is None:
        return empty
    filters, index = built
    plan = _Plan(conn, sql, filters, index, below, p.limit + 1)
    rowids = _candidates(plan, query, audience)
    more = len(rowids) > p.limit
    rowids = rowids[:p.limit]
    rows = {r["rid"]: r for r in conn.execute(
        _RESULT_SELECT, (orjson.dumps(rowids).decode(),)).fetchall()}
    words = _word_ranges(conn, query.terms, rowids)
    results = [_result(rows[rid], _ranges(rows[rid]["body"], query.terms, words.get(rid, [])))
               for rid in rowids if rid in rows]
    return SearchPage(results=results,
                      next_cursor=encode_cursor(fingerprint, rowids[-1]) if more else None)
