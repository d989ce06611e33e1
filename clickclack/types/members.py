"""Wire types for workspace administration, the member directory and invites (contract 5, D5)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from clickclack.types.core import (
    NAME_MAX_CHARS,
    NOT_BLANK,
    SLUGGABLE,
    EventOut,
    Id,
    In,
    Out,
    Role,
    User,
    Workspace,
    at_least_one_of,
    checked,
)

__all__ = [
    "CreateInvite",
    "Invite",
    "InviteCreated",
    "InviteList",
    "InvitePreview",
    "InvitePreviewOut",
    "InviteWorkspace",
    "RoleTotals",
    "TransferOwnership",
    "UpdateWorkspace",
    "WorkspaceChanged",
    "WorkspaceMember",
    "WorkspaceMemberPage",
]

INVITE_HOURS_DEFAULT = 168
INVITE_HOURS_MAX = 720
INVITE_USES_DEFAULT = 1
INVITE_USES_MAX = 1000


# --- workspaces ------------------------------------------------------------------------------

class UpdateWorkspace(In):
    """At least one field; ``null`` counts as absent.  ``icon_url`` can only be cleared ("")
    until uploaded icons exist."""

    json_schema_extra: ClassVar[dict[str, Any]] = at_least_one_of("name", "slug", "icon_url")

    name: Annotated[str, checked(maxLength=NAME_MAX_CHARS, pattern=NOT_BLANK)] | None = None
    slug: Annotated[str, checked(maxLength=64, pattern=SLUGGABLE)] | None = None
    icon_url: Annotated[str, Meta(max_length=500), checked(enum=[""])] | None = None


class TransferOwnership(In):
    user_id: Id


class WorkspaceChanged(Out):
    """PATCH and transfer-ownership: the workspace (with the caller's role) and its event."""

    workspace: Workspace
    event: EventOut


# --- the member directory --------------------------------------------------------------------

class WorkspaceMember(Out):
    workspace_id: str
    user: User
    role: Role
    joined_at: str


class RoleTotals(Out):
    owner: int
    moderator: int
    member: int
    bot: int
    guest: int


class WorkspaceMemberPage(Out):
    members: list[WorkspaceMember]
    has_more: bool
    next_cursor: str | None = None
    total_count: int | None = None  # first page only
    total_by_role: RoleTotals | None = None  # first page with no q and no role only


# --- invites ---------------------------------------------------------------------------------

class CreateInvite(In):
    expires_in_hours: Annotated[int, Meta(ge=1, le=INVITE_HOURS_MAX)] = INVITE_HOURS_DEFAULT
    max_uses: Annotated[int, Meta(ge=1, le=INVITE_USES_MAX)] = INVITE_USES_DEFAULT


class Invite(Out):
    """An invite as its workspace's managers see it (never with its token)."""

    id: str
    workspace_id: str
    role: Literal["member"]
    created_at: str
    expires_at: str
    uses: int
    max_uses: int
    created_by: str | None = None  # absent for invites made by an operator (CLI)
    accepted_at: str | None = None  # the latest accept
    revoked_at: str | None = None


class InviteCreated(Out):
    invite: Invite
    token: str  # shown once; only its SHA-256 is stored


class InviteList(Out):
    invites: list[Invite]


class InviteWorkspace(Out):
    id: str
    name: str
    slug: str
    route_id: str
    icon_url: str


class InvitePreview(Out):
    """What anyone holding the token may see before accepting."""

    id: str
    workspace: InviteWorkspace
    role: Literal["member"]
    created_at: str
    expires_at: str
    uses: int
    max_uses: int


class InvitePreviewOut(Out):
    invite: InvitePreview
