"""Moderation and roles (contract 6).  Human-only: bots would need ``workspaces:write``, which
can never be granted, so bots can never moderate.

After a patch commits: a member whose role changed has their sockets in that workspace closed
with 4001 (what they may see changed: resync), a newly blocked member with 1008.  Bots the
member owns follow them (a user-owned bot can never do more than its owner).
"""

from __future__ import annotations

from clickclack.api.http import Ctx
from clickclack.api.routing import route
from clickclack.realtime.hub import CLOSE_POLICY, CLOSE_RESYNC
from clickclack.store._rows import event_out
from clickclack.types.bots import ModerationList, ModerationPatch, ModerationUpdated

_TAGS = ("moderation",)


@route("GET", "/api/workspaces/{workspace_id}/moderation/members", summary="Members with their "
       "moderation state (owners and moderators who are not blocked or timed out)",
       auth="human", response=ModerationList, errors=(401, 403, 404), tags=_TAGS)
async def list_moderation(ctx: Ctx, workspace_id: str) -> ModerationList:
    return ModerationList(members=ctx.services.store.moderation_members(ctx.me, workspace_id))


@route("PATCH", "/api/workspaces/{workspace_id}/moderation/members/{user_id}",
       summary="Change a member's role, timeout, block or note (the target must rank below "
       "the caller); emits the private member.moderation_updated", auth="human",
       body=ModerationPatch, response=ModerationUpdated,
       errors=(400, 401, 403, 404, 409, 415),
       tags=_TAGS)
async def patch_moderation(ctx: Ctx, body: ModerationPatch, workspace_id: str, user_id: str
                           ) -> ModerationUpdated:
    result = await ctx.services.store.moderate_member(ctx.me, workspace_id, user_id, body)
    hub = ctx.services.hub
    for uid in result.affected_user_ids:
        # A block wins over a role change: close with 1008 first (a socket closes once).
        if result.newly_blocked:
            hub.close_workspace_user(workspace_id, uid, code=CLOSE_POLICY,
                                     reason="blocked in this workspace")
        if result.role_changed:
            hub.close_workspace_user(workspace_id, uid, code=CLOSE_RESYNC,
                                     reason="role changed; resync required")
    return ModerationUpdated(member=result.member, event=event_out(result.event))
