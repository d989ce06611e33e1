"""Workspace invites over HTTP (Part A D5).  Managers create, list and revoke; anyone holding a
token may preview it; a signed-in person accepts it to join as ``member``.  Unknown, expired,
revoked and used-up tokens all get the same 404."""

from __future__ import annotations

from quart import Response

from clickclack.api.http import Ctx
from clickclack.api.routing import route
from clickclack.types import WorkspaceOut
from clickclack.types.members import (
    CreateInvite,
    InviteCreated,
    InviteList,
    InvitePreviewOut,
)


@route("POST", "/api/workspaces/{workspace_id}/invites", summary="Create an invite; the token "
       "is shown only in this response (owner or moderator)", auth="human", body=CreateInvite,
       response=InviteCreated, status=201, errors=(400, 401, 403, 404, 409, 415),
       tags=("invites",))
async def create_invite(ctx: Ctx, body: CreateInvite, workspace_id: str
                        ) -> tuple[InviteCreated, int]:
    invite, token = await ctx.services.store.create_invite(
        ctx.me, workspace_id, body.expires_in_hours, body.max_uses)
    return InviteCreated(invite=invite, token=token), 201


@route("GET", "/api/workspaces/{workspace_id}/invites", summary="Usable invites of a workspace, "
       "newest first, without tokens (owner or moderator)", auth="human", response=InviteList,
       errors=(401, 403, 404), tags=("invites",))
async def list_invites(ctx: Ctx, workspace_id: str) -> InviteList:
    return InviteList(invites=ctx.services.store.list_invites(ctx.me, workspace_id))


@route("DELETE", "/api/workspaces/{workspace_id}/invites/{invite_id}", summary="Revoke an "
       "invite (owner or moderator)", auth="human", response=None, status=204,
       errors=(401, 403, 404), tags=("invites",))
async def revoke_invite(ctx: Ctx, workspace_id: str, invite_id: str) -> Response:
    await ctx.services.store.revoke_invite(ctx.me, workspace_id, invite_id)
    return Response(b"", status=204)  # a data body: see api/workspaces.py delete_workspace


@route("GET", "/api/invites/{token}", summary="Preview the workspace an invite token leads to",
       auth="public", response=InvitePreviewOut, errors=(404,), tags=("invites",))
async def preview_invite(ctx: Ctx, token: str) -> InvitePreviewOut:
    return InvitePreviewOut(invite=ctx.services.store.preview_invite(token))


@route("POST", "/api/invites/{token}/accept", summary="Join the invite's workspace as member "
       "(already a member: the workspace, no use consumed)", auth="human", response=WorkspaceOut,
       errors=(401, 403, 404, 409), tags=("invites",))
async def accept_invite(ctx: Ctx, token: str) -> WorkspaceOut:
    workspace, _joined = await ctx.services.store.accept_invite(ctx.me, token)
    return WorkspaceOut(workspace=workspace)
