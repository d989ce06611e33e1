"""Workspaces and channels (contract 5 and 7, with D2 and D4)."""

from __future__ import annotations

from clickclack.api.http import Ctx
from clickclack.api.routing import route
from clickclack.store._rows import event_out
from clickclack.types import (
    ChannelCreated,
    ChannelList,
    CreateChannel,
    CreateWorkspace,
    WorkspaceList,
    WorkspaceOut,
)


@route("GET", "/api/workspaces", summary="Workspaces the caller belongs to", auth="user",
       scope="workspaces:read",
       response=WorkspaceList, errors=(401,), tags=("workspaces",))
async def list_workspaces(ctx: Ctx) -> WorkspaceList:
    return WorkspaceList(workspaces=ctx.services.store.list_workspaces(ctx.me))


@route("POST", "/api/workspaces", summary="Create a workspace (creator becomes owner; #general "
       "is created)", auth="human", body=CreateWorkspace, response=WorkspaceOut, status=201,
       errors=(400, 401, 409, 415), tags=("workspaces",))
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
        ctx.me, workspace_id, body.name, body.display_title)
    return ChannelCreated(channel=channel, event=event_out(event))
