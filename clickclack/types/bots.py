"""Wire types for bots and bot tokens (contract 17) and moderation (contract 6)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from clickclack.types.core import EventOut, In, Out, Role, User

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

SetupNonce = Annotated[str, Meta(min_length=16, max_length=128)]
# A list of scopes or bundles; each string may itself be a comma-separated list (17.2).
Scopes = list[Annotated[str, Meta(max_length=500)]] | Annotated[str, Meta(max_length=2000)]


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
    display_name: Annotated[str, Meta(max_length=400)]
    owner_user_id: Annotated[str, Meta(max_length=64)] | None = None
    handle: Annotated[str, Meta(max_length=64)] | None = None
    avatar_url: Annotated[str, Meta(max_length=2048)] | None = None
    token_name: Annotated[str, Meta(max_length=400)] | None = None
    scopes: Scopes | None = None
    setup_nonce: SetupNonce | None = None
    initial_token: bool = True


class CreateBotToken(In):
    name: Annotated[str, Meta(max_length=400)] | None = None
    scopes: Scopes | None = None
    setup_nonce: SetupNonce | None = None


class ModerationPatch(In):
    """Any subset; at least one field.  ``timeout_until`` (RFC 3339) wins over
    ``timeout_minutes``; ``clear_timeout`` is applied after both."""

    role: Annotated[str, Meta(max_length=32)] | None = None
    timeout_until: Annotated[str, Meta(max_length=64)] | None = None
    timeout_minutes: Annotated[int, Meta(ge=0, le=10 * 366 * 24 * 60)] | None = None
    clear_timeout: bool | None = None
    blocked: bool | None = None
    moderation_note: Annotated[str, Meta(max_length=4000)] | None = None
