"""Message search over HTTP: ``GET /api/search`` (contract 15 with D8).  The query language,
visibility rules and plan are described in ``clickclack/store/search.py``."""

from __future__ import annotations

from clickclack.api.http import Ctx
from clickclack.api.routing import QueryParam, int_param, route, str_param
from clickclack.store.search import LIMIT_DEFAULT, LIMIT_MAX, Q_MAX_CHARS, SearchParams
from clickclack.types.core import WS, no_ws
from clickclack.types.search import SearchPage

# No NUL, and at most Q_MAX_CHARS code points once trimmed (the store trims, then counts).
_NUL_OR_WS = no_ws("\\x00")
_Q_PATTERN = (f"^{WS}*({_NUL_OR_WS}([^\\x00]{{0,{Q_MAX_CHARS - 2}}}{_NUL_OR_WS})?)?{WS}*$")
_Q_DESC = (
    f"the query, at most {Q_MAX_CHARS} code points once trimmed, without NUL (empty or missing: "
    "an empty "
    "page, after the access checks). Terms "
    "are ANDed; 3+ characters match words (stemmed) and substrings inside words, hostnames and "
    'URLs; 1-2 characters match a word / word prefix; "quoted phrases"; operators in:#channel, '
    "in:@handle (your DM with them), from:@handle, before:/after:/on:YYYY-MM-DD (UTC days), "
    "has:link, has:file, is:thread, is:pinned"
)


@route("GET", "/api/search", summary="Search the channel and DM messages you can see, newest "
       "first, with snippets and highlight ranges (code points); time-limited (503)",
       auth="user", scope="messages:read", response=SearchPage,
       errors=(400, 401, 403, 404, 503), tags=("search",),
       exclusive=(("channel_id", "direct_conversation_id"),),
       query=(
           str_param("workspace_id", required=True, max_length=64),
           str_param("q", max_length=4 * Q_MAX_CHARS, desc=_Q_DESC, pattern=_Q_PATTERN),
           str_param("channel_id", max_length=64,
                     desc="only this channel; not with direct_conversation_id (400)"),
           str_param("direct_conversation_id", max_length=64,
                     desc="only this DM (bots need dms:read); not with channel_id (400)"),
           int_param("limit", 1, LIMIT_MAX, LIMIT_DEFAULT),
           str_param("cursor", max_length=512,
                     desc="next_cursor of the previous page (same user, workspace, scope, q)"),
           QueryParam("sort", {"type": "string", "enum": ["newest"], "default": "newest"},
                      description="newest first only; relevance is not offered (400)"),
       ))
async def search_messages(ctx: Ctx) -> SearchPage:
    q = ctx.query
    return await ctx.services.store.search_messages(ctx.me, SearchParams(
        workspace_id=q["workspace_id"], q=q["q"] or "", channel_id=q["channel_id"],
        dm_id=q["direct_conversation_id"], limit=q["limit"], cursor=q["cursor"],
        sort=q["sort"]))
