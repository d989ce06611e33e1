"""Wire types: what the API returns and accepts.  The store builds these; the API encodes them;
the OpenAPI description is generated from them.  ``omit_defaults`` gives the contract's rule that
optional fields are left out instead of being sent as ``null``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta, Struct

from clickclack.types.uploads import Upload

__all__ = [
    "Channel",
    "ChannelCreated",
    "ChannelList",
    "CreateChannel",
    "CreateMessage",
    "CreateWorkspace",
    "Echo",
    "EchoIn",
    "EphemeralIn",
    "EphemeralOut",
    "EventOut",
    "EventPage",
    "Health",
    "Id",
    "In",
    "MagicAccepted",
    "MagicConsume",
    "MagicLink",
    "MagicRequest",
    "MagicRequested",
    "Me",
    "Mentions",
    "Message",
    "MessageCreated",
    "MessageOut",
    "MessagePage",
    "Nonce",
    "Ok",
    "Out",
    "Problem",
    "ReactionSummary",
    "Role",
    "SessionCreated",
    "SessionInfo",
    "ThreadState",
    "User",
    "Workspace",
    "WorkspaceList",
    "WorkspaceOut",
]

Role = Literal["owner", "moderator", "member", "guest", "bot"]

Id = Annotated[str, Meta(min_length=1, max_length=64)]

# Whitespace exactly as Python's str.strip() / str.isspace() see it, spelled out: "\s" means
# different things in ECMA-262 (the description's regex dialect) and in Python.
_WS = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WS = f"[{_WS}]"
NWS = f"[^{_WS}]"


def no_ws(chars: str) -> str:
    """A character class: none of ``chars`` and no whitespace."""
    return f"[^{chars}{_WS}]"


# Names that are trimmed and must not end up empty: at least one non-whitespace character.
NOT_BLANK = NWS


# Unicode control (Cc) and format (Cf) characters except U+200D (the zero-width joiner that builds
# family and flag emoji), as a regex class body: what an emoji may not contain besides
# whitespace (clickclack.store.reactions.clean_emoji).  Non-BMP ranges are literal characters.
# tests/test_api_description.py checks it against unicodedata.
CONTROL_OR_FORMAT = (
    "\\x00-\\x1f\\x7f-\\x9f\\xad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2"
    "\\u180e\\u200b\\u200c\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff"
    "\\ufff9-\\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
EMOJI_PATTERN = f"^{WS}*[^{_WS}{CONTROL_OR_FORMAT}]+{WS}*$"


def checked(**schema: Any) -> Meta:
    """Bounds the description declares (JSON Schema keywords) that the store enforces itself,
    with its own error codes (``name_too_long``, ``handle_invalid``...), instead of msgspec's
    generic ``validation_failed``.  Each store check is exactly the declared bound."""
    return Meta(extra_json_schema=schema)
# Text that slugifies (lower-cased, runs of other characters become "-") to something non-empty:
# an ASCII letter or digit, or one of the two characters whose lower case contains one
# (U+0130 and U+212A, the Kelvin sign).
SLUGGABLE = "[A-Za-z0-9\u0130\u212a]"
NAME_MAX_CHARS = 80  # workspace and channel names, before and after trimming


AT_LEAST_ONE_OF = "x-at-least-one-of"


def at_least_one_of(*names: str) -> dict[str, Any]:
    """"At least one of these properties is present and not null" (PATCH bodies where null
    counts as absent).  clickclack.api.openapi turns it into an ``anyOf`` of one branch per
    property, each requiring it with its non-null schema."""
    return {AT_LEAST_ONE_OF: list(names)}
Nonce = Annotated[str, Meta(max_length=128)]


class Out(Struct, omit_defaults=True, kw_only=True):
    """Base for response types."""


class User(Out):
    id: str
    kind: Literal["human", "bot"]
    display_name: str
    handle: str
    avatar_url: str
    created_at: str
    owner_user_id: str | None = None


class Me(Out):
    user: User


class Workspace(Out):
    id: str
    route_id: str
    name: str
    slug: str
    icon_url: str
    created_at: str
    role: Role | None = None


class WorkspaceOut(Out):
    workspace: Workspace


class WorkspaceList(Out):
    workspaces: list[Workspace]


class Channel(Out):
    id: str
    route_id: str
    workspace_id: str
    name: str
    kind: str
    created_at: str
    external_managed: bool
    last_seq: int
    last_read_seq: int
    unread_count: int
    mention_count: int = 0
    display_title: str | None = None
    purpose: str | None = None  # one line, <= 280 characters
    archived_at: str | None = None


class ChannelList(Out):
    channels: list[Channel]


class ThreadState(Out):
    root_message_id: str
    reply_count: int
    last_reply_author_ids: list[str]
    last_reply_at: str | None = None


class Message(Out):
    id: str
    workspace_id: str
    author_id: str
    author: User
    thread_root_id: str
    body: str
    body_html: str  # server-rendered, sanitized (D9); "" once deleted
    body_format: Literal["markdown"]
    created_at: str
    kind: str = "message"
    channel_id: str | None = None
    parent_message_id: str | None = None
    channel_seq: int | None = None
    thread_seq: int | None = None
    edited_at: str | None = None
    deleted_at: str | None = None
    nonce: str | None = None
    thread_state: ThreadState | None = None
    direct_conversation_id: str | None = None
    topic_id: str | None = None
    quoted_message_id: str | None = None
    quoted_body_snapshot: str | None = None
    quoted_author_id: str | None = None
    quoted_author: User | None = None
    reactions: list[ReactionSummary] | None = None
    mentions: Mentions | None = None
    attachments: list[Upload] | None = None  # left out when empty; never on deleted ones


class ReactionSummary(Out):
    emoji: str
    count: int
    reacted_by_me: bool


class Mentions(Out):
    """Who a message mentions, so clients can count mention badges."""

    user_ids: list[str]
    channel: bool  # @channel
    here: bool  # @here


class EventOut(Out):
    """The event envelope (contract 14.1)."""

    id: str
    cursor: str
    type: str
    workspace_id: str
    created_at: str
    payload: dict[str, Any] | None
    channel_id: str | None = None
    seq: int | None = None


class MessagePage(Out):
    messages: list[Message]
    oldest_seq: int
    newest_seq: int
    has_older: bool
    has_newer: bool


class MessageOut(Out):
    message: Message


class MessageCreated(Out):
    message: Message
    event: EventOut | None = None


class ChannelCreated(Out):
    channel: Channel
    event: EventOut


class EventPage(Out):
    events: list[EventOut]
    tail_cursor: str | None = None


class EphemeralOut(Out):
    event: EventOut


class MagicLink(Out):
    id: str
    email: str
    display_name: str
    created_at: str
    expires_at: str
    used_at: str | None = None


class MagicRequested(Out):
    magic_link: MagicLink
    token: str


class MagicAccepted(Out):
    """The mailed variant: the same body whether or not the address is known (D7)."""

    ok: bool
    detail: str


class SessionInfo(Out):
    id: str
    user_id: str
    created_at: str
    expires_at: str
    token: str


class SessionCreated(Out):
    user: User
    session: SessionInfo
    token: str


class Ok(Out):
    ok: bool


class Health(Out):
    status: str


class Echo(Out):
    echo: Any
    id: str


class Problem(Out):
    """RFC 9457 problem details (D1)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    error: str
    errors: list[dict[str, Any]] | None = None
    correlation_id: str | None = None


# --- request bodies -----------------------------------------------------------------------


class In(Struct, kw_only=True, forbid_unknown_fields=False):
    """Base for request bodies.  Unknown fields are ignored (contract 1.1)."""


class CreateWorkspace(In):
    name: Annotated[str, checked(maxLength=NAME_MAX_CHARS)]
    slug: Annotated[str, checked(maxLength=64)] = ""


class CreateChannel(In):
    name: Annotated[str, checked(maxLength=NAME_MAX_CHARS)]
    kind: Literal["public", "private"] = "public"
    display_title: Annotated[str, Meta(max_length=200)] = ""


class CreateMessage(In):
    body: Annotated[str, Meta(max_length=40_000), checked(pattern=NOT_BLANK)]
    nonce: Nonce = ""
    kind: Literal["", "message"] = ""
    quoted_message_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    topic_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    upload_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None  # attach it too


class MagicRequest(In):
    # an address once trimmed (and lower-cased): a local part, "@", a domain with a ".", no
    # blanks inside (clickclack.store.accounts.normalize_email)
    email: Annotated[str, Meta(max_length=320),
                     checked(pattern=f"^{WS}*{no_ws('@')}+@{NWS}*\\.{NWS}*{WS}*$")]
    display_name: Annotated[str, Meta(max_length=80)] = ""


class MagicConsume(In):
    token: Annotated[str, Meta(max_length=200)]


class EphemeralIn(In):
    """``channel_id`` and ``direct_conversation_id`` are exclusive; every type but
    ``presence.changed`` needs one of them."""

    # if channel_id is given, no direct_conversation_id; otherwise every type but
    # presence.changed needs a direct_conversation_id.  (if/then/else rather than anyOf:
    # generated client types stay plain objects.)
    json_schema_extra: ClassVar[dict[str, Any]] = {
        "if": {"required": ["channel_id"], "properties": {"channel_id": {"type": "string"}}},
        "then": {"properties": {"direct_conversation_id": {"type": "null"}}},
        "else": {
            "if": {"required": ["type"], "properties": {"type": {"enum": [
                "typing.started", "typing.stopped", "agent.progress"]}}},
            "then": {"required": ["direct_conversation_id"],
                     "properties": {"direct_conversation_id": {"type": "string"}}},
        },
    }

    workspace_id: Id
    type: Literal["typing.started", "typing.stopped", "presence.changed", "agent.progress"]
    channel_id: Id | None = None
    direct_conversation_id: Id | None = None
    payload: Annotated[dict[str, Any], checked(maxProperties=32)] | None = None


class EchoIn(In):
    body: Any = None
