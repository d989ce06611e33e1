"""Wire types for bots and bot tokens (contract 17) and moderation (contract 6)."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from msgspec import Meta

from clickclack.scopes import BUNDLES, CONCRETE, MAX_SCOPE_INPUTS
from clickclack.types.core import (
    NOT_BLANK,
    WS,
    EventOut,
    In,
    Out,
    Role,
    User,
    at_least_one_of,
    checked,
    no_ws,
)

_NUL = "\\x00"

ROLE_PATTERN = (f"^{WS}*([Mm][Oo][Dd][Ee][Rr][Aa][Tt][Oo][Rr]|[Mm][Ee][Mm][Bb][Ee][Rr]"
                f"|[Gg][Uu][Ee][Ss][Tt]){WS}*$")

__all__ = [
    "BotCreated",
    "BotList",
    "BotToken",
    "BotTokenList",
    "BotTokenOut",
    "BotWithTokens",
    "BotWorkspace",
    "CreateBot",
    "CreateBotToken",
    "DeletedBot",
    "DeletedBotOut",
    "MemberModeration",
    "ModerationList",
    "ModerationPatch",
    "ModerationUpdated",
    "MyBot",
    "MyBotList",
]

# Trimmed: blank (no nonce), or 16-128 characters without NUL once trimmed.
SetupNonce = Annotated[str, Meta(min_length=16, max_length=128), checked(pattern=(
    f"^{WS}*({no_ws(_NUL)}[^{_NUL}]{{14,126}}{no_ws(_NUL)})?{WS}*$"))]
# A list of scopes or bundles; each string may itself be a comma-separated list of known names
# (blank parts are skipped; 17.2).
_SCOPE_NAME = "|".join(re.escape(n) for n in sorted((*CONCRETE, *BUNDLES), key=len,
                                                      reverse=True))
_SCOPE_LIST = f"^{WS}*({_SCOPE_NAME})?{WS}*(,{WS}*({_SCOPE_NAME})?{WS}*)*$"
Scopes = (Annotated[list[Annotated[str, Meta(max_length=500), checked(pattern=_SCOPE_LIST)]],
                    Meta(max_length=MAX_SCOPE_INPUTS)]
          | Annotated[str, Meta(max_length=2000), checked(pattern=_SCOPE_LIST)])
# Handles as given: trimmed, leading "@"s dropped, lower-cased (U+212A, the Kelvin sign,
# lower-cases to "k"); "" for none.
BOT_HANDLE_PATTERN = f"^{WS}*@*([A-Za-z0-9\\u212a][A-Za-z0-9\\u212a_-]{{1,31}})?{WS}*$"


class BotToken(Out):
    """A bot token row (17.3).  ``token`` (the raw ``ccb_`` secret) appears only in the
    response that created it (or re-issued it on a setup-nonce replay)."""

    id: str
    bot_user_id: str
    workspace_id: str
    name: str
    scopes: list[str]
    created_at: str
    owner_user_id: str | None = None
    created_by: str | None = None
    last_used_at: str | None = None
    revoked_at: str | None = None
    token: str | None = None


class BotWithTokens(Out):
    bot: User
    tokens: list[BotToken]


class BotList(Out):
    bots: list[BotWithTokens]


class BotCreated(Out):
    bot: User
    bot_token: BotToken | None = None


class BotTokenList(Out):
    bot_tokens: list[BotToken]


class BotTokenOut(Out):
    bot_token: BotToken


class BotWorkspace(Out):
    id: str
    route_id: str
    name: str


class MyBot(Out):
    bot: User
    workspace: BotWorkspace
    active_token_count: int


class MyBotList(Out):
    bots: list[MyBot]


class DeletedBot(Out):
    id: str
    display_name: str
    former_handle: str
    deleted_at: str


class DeletedBotOut(Out):
    deleted_bot: DeletedBot


class MemberModeration(Out):
    """A member's moderation state (contract 6).  ``post_limit``/``posts_remaining`` are 3 and
    what is left of the rolling 24 h budget for guests, 0 for everyone else."""

    workspace_id: str
    user: User
    role: Role
    posts_remaining: int
    post_limit: int
    timeout_until: str | None = None
    blocked_at: str | None = None
    moderation_note: str | None = None
    moderation_by: str | None = None
    moderation_at: str | None = None


class ModerationList(Out):
    members: list[MemberModeration]


class ModerationUpdated(Out):
    member: MemberModeration
    event: EventOut


# --- request bodies -----------------------------------------------------------------------


class CreateBot(In):
    display_name: Annotated[str, checked(maxLength=80, pattern=NOT_BLANK)]
    owner_user_id: Annotated[str, Meta(max_length=64)] | None = None
    handle: Annotated[str, Meta(max_length=64), checked(pattern=BOT_HANDLE_PATTERN)] | None = None
    # once trimmed: "", an http(s) URL or /api/uploads/<id>
    avatar_url: Annotated[str, checked(maxLength=2048, pattern=(
        f"^{WS}*$|^{WS}*(https?://|/api/uploads/)"))] | None = None
    token_name: Annotated[str, checked(maxLength=80)] | None = None
    scopes: Scopes | None = None
    setup_nonce: SetupNonce | None = None
    initial_token: bool = True


class CreateBotToken(In):
    name: Annotated[str, checked(maxLength=80)] | None = None
    scopes: Scopes | None = None
    setup_nonce: SetupNonce | None = None


class ModerationPatch(In):
    """Any subset; at least one field.  ``timeout_until`` (RFC 3339) wins over
    ``timeout_minutes``; ``clear_timeout`` is applied after both."""

    json_schema_extra: ClassVar[dict[str, Any]] = at_least_one_of(
        "role", "timeout_until", "timeout_minutes", "clear_timeout", "blocked",
        "moderation_note")

    # moderator, member or guest, in any case, with blank around it (owner: transfer instead)
    role: Annotated[str, Meta(max_length=32), checked(pattern=ROLE_PATTERN)] | None = None
    timeout_until: Annotated[str, Meta(max_length=64, extra_json_schema={
        "format": "date-time"})] | None = None
    timeout_minutes: Annotated[int, Meta(ge=0, le=10 * 366 * 24 * 60)] | None = None
    clear_timeout: bool | None = None
    blocked: bool | None = None
    moderation_note: Annotated[str, checked(maxLength=1000)] | None = None
