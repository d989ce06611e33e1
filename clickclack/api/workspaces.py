"""Workspaces, their administration, the member directory, and channels (contract 5 and 7,
with D2 and D4)."""

from __future__ import annotations

from quart import Response

from clickclack.api.http import Ctx
from clickclack.api.routing import QueryParam, int_param, route, str_param
from clickclack.store._rows import event_out
from clickclack.store.workspaces import (
    MEMBER_PAGE_DEFAULT,
    MEMBER_PAGE_MAX,
    MEMBER_QUERY_MAX,
    ROLE_ORDER,
)
from clickclack.types import (
    ChannelCreated,
    ChannelList,
    CreateChannel,
    CreateWorkspace,
    WorkspaceList,
    WorkspaceOut,
)
from clickclack.types.members import (
    TransferOwnership,
    UpdateWorkspace,
    WorkspaceChanged,
    WorkspaceMemberPage,
)


@route("GET", "/api/workspaces", summary="Workspaces the caller belongs to", auth="user",
       scope="workspaces:read",
       response=WorkspaceList, errors=(401,), tags=("workspaces",))
async def list_workspaces(ctx: Ctx) -> WorkspaceList:
    return WorkspaceList(workspaces=ctx.services.store.list_workspaces(ctx.me))


@route("POST", "/api/workspaces", summary="Create a workspace (creator becomes owner; #general "
       "is created)", auth="human", body=CreateWorkspace, response=WorkspaceOut, status=201,
       errors=(400, 401, 403, 409, 415), tags=("workspaces",))
async def create_workspace(ctx: Ctx, body: CreateWorkspace) -> WorkspaceOut:
    ws = await ctx.services.store.create_workspace(ctx.me, body.name, body.slug)
    return WorkspaceOut(workspace=ws)


@route("GET", "/api/workspaces/{workspace_id}", summary="One workspace", auth="user",
       scope="workspaces:read",
       response=WorkspaceOut, errors=(401, 404), tags=("workspaces",))
async def get_workspace(ctx: Ctx, workspace_id: str) -> WorkspaceOut:
    return WorkspaceOut(workspace=ctx.services.store.get_workspace(ctx.me, workspace_id))


@route("GET", "/api/workspaces/{workspace_id}/channels", summary="Channels of a workspace, with "
       "the caller's unread counts", auth="user", scope="channels:read", response=ChannelList,
       errors=(401, 404),
       tags=("channels",))
async def list_channels(ctx: Ctx, workspace_id: str) -> ChannelList:
    return ChannelList(channels=ctx.services.store.list_channels(ctx.me, workspace_id))


@route("POST", "/api/workspaces/{workspace_id}/channels", summary="Create a channel",
       auth="user", scope="channels:write", body=CreateChannel, response=ChannelCreated, status=201,
       errors=(400, 401, 403, 404, 409, 415), tags=("channels",))
async def create_channel(ctx: Ctx, body: CreateChannel, workspace_id: str) -> ChannelCreated:
    channel, event = await ctx.services.store.create_channel(
        ctx.me, workspace_id, body.name, body.display_title, body.kind)
    return ChannelCreated(channel=channel, event=event_out(event))


# --- administration (contract 5; humans only: bot tokens can never administer) ---------------

@route("PATCH", "/api/workspaces/{workspace_id}", summary="Rename a workspace, change its slug "
       "or icon (owner or moderator)", auth="human", body=UpdateWorkspace,
       response=WorkspaceChanged, errors=(400, 401, 403, 404, 409, 415), tags=("workspaces",))
async def update_workspace(ctx: Ctx, body: UpdateWorkspace, workspace_id: str
                           ) -> WorkspaceChanged:
    ws, event = await ctx.services.store.update_workspace(
        ctx.me, workspace_id, body.name, body.slug, body.icon_url)
    return WorkspaceChanged(workspace=ws, event=event_out(event))


@route("DELETE", "/api/workspaces/{workspace_id}", summary="Delete a workspace and everything "
       "in it, events included (owner)", auth="human", response=None, status=204,
       errors=(401, 403, 404), tags=("workspaces",))
async def delete_workspace(ctx: Ctx, workspace_id: str) -> Response:
    members = await ctx.services.store.delete_workspace(ctx.me, workspace_id)
    for user_id in members:
        ctx.services.hub.close_workspace_user(workspace_id, user_id, reason="workspace deleted")
    # A data body: Response(status=204) gets an empty *iterable* body, which quart reads
    # through asyncio (quart.utils._gen_wrapper), so it fails under trio.
    return Response(b"", status=204)


@route("POST", "/api/workspaces/{workspace_id}/transfer-ownership", summary="Make another "
       "member or moderator the owner; the caller becomes a moderator (owner)", auth="human",
       body=TransferOwnership, response=WorkspaceChanged,
       errors=(400, 401, 403, 404, 409, 415),
       tags=("workspaces",))
async def transfer_ownership(ctx: Ctx, body: TransferOwnership, workspace_id: str
                             ) -> WorkspaceChanged:
    ws, event = await ctx.services.store.transfer_ownership(ctx.me, workspace_id, body.user_id)
    return WorkspaceChanged(workspace=ws, event=event_out(event))


# --- the member directory ----------------------------------------------------------------------

@route("GET", "/api/workspaces/{workspace_id}/members", summary="A page of the member "
       "directory (role, then name, then handle); totals on the first page", auth="user",
       scope="workspaces:read", response=WorkspaceMemberPage, errors=(400, 401, 404),
       tags=("workspaces",),
       query=(
           int_param("limit", 1, MEMBER_PAGE_MAX, MEMBER_PAGE_DEFAULT),
           str_param("cursor", max_length=1024,
                     desc="next_cursor of the previous page (same q and role)"),
           str_param("q", max_length=MEMBER_QUERY_MAX,
                     desc="case-insensitive substring of the name or handle"),
           QueryParam("role", {"type": "string", "enum": list(ROLE_ORDER)}),
       ))
async def list_members(ctx: Ctx, workspace_id: str) -> WorkspaceMemberPage:
    q = ctx.query
    return await ctx.services.store.member_page(
        ctx.me, workspace_id, q["limit"], q["cursor"], q["q"], q["role"])
