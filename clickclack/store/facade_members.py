"""Store methods for workspace administration, members and invites.

Methods here call ``self._read(fn, *args)`` (short read on the read connection),
``await self._read_long(fn, *args)`` (long read, off the loop, time-limited) or
``await self._write(fn, *args)`` (the single writer's transaction) with plain functions of
``(conn_or_tx, ...)`` defined in the matching SQL module.  No SQL in this file.

The HTTP handlers and the operator CLI call these same methods (``actor=None`` means the
operator, who acts with full authority on the data directory).
"""

from __future__ import annotations

from clickclack.actor import Actor
from clickclack.events import Event
from clickclack.store import invites, workspaces
from clickclack.store._base import StoreBase
from clickclack.types import Workspace
from clickclack.types.members import Invite, InvitePreview, WorkspaceMemberPage


class MembersFacade(StoreBase):
    # --- workspace administration -------------------------------------------------------------
    async def update_workspace(self, actor: Actor, workspace_id: str, name: str | None = None,
                               slug: str | None = None, icon_url: str | None = None
                               ) -> tuple[Workspace, Event]:
        return await self._write(workspaces.update_workspace, actor, workspace_id, name, slug,
                                 icon_url)

    async def delete_workspace(self, actor: Actor, workspace_id: str) -> list[str]:
        """Returns the former members' user ids."""
        return await self._write(workspaces.delete_workspace, actor, workspace_id)

    async def transfer_ownership(self, actor: Actor, workspace_id: str, new_owner_id: str
                                 ) -> tuple[Workspace, Event]:
        return await self._write(workspaces.transfer_ownership, actor, workspace_id,
                                 new_owner_id)

    # --- the member directory -----------------------------------------------------------------
    async def member_page(self, actor: Actor, workspace_id: str, limit: int,
                          cursor: str | None = None, q: str | None = None,
                          role: str | None = None) -> WorkspaceMemberPage:
        if q and q.strip():
            # A substring search filters every member of the workspace: off the loop, with the
            # read time limit.  Plain pages are short index range scans.
            return await self._read_long(workspaces.member_page, actor, workspace_id, limit,
                                         cursor, q, role)
        return self._read(workspaces.member_page, actor, workspace_id, limit, cursor, q, role)

    # --- invites ------------------------------------------------------------------------------
    async def create_invite(self, actor: Actor | None, workspace_id: str,
                            expires_in_hours: int = 168, max_uses: int = 1
                            ) -> tuple[Invite, str]:
        return await self._write(invites.create_invite, actor, workspace_id, expires_in_hours,
                                 max_uses)

    def list_invites(self, actor: Actor, workspace_id: str) -> list[Invite]:
        return self._read(invites.list_invites, actor, workspace_id)

    async def revoke_invite(self, actor: Actor, workspace_id: str, invite_id: str) -> None:
        await self._write(invites.revoke_invite, actor, workspace_id, invite_id)

    def preview_invite(self, token: str) -> InvitePreview:
        return self._read(invites.preview_invite, token)

    async def accept_invite(self, actor: Actor, token: str) -> tuple[Workspace, bool]:
        return await self._write(invites.accept_invite, actor, token)

    # --- operator commands (CLI) --------------------------------------------------------------
    def resolve_workspace(self, ref: str) -> str:
        """A workspace id from its id or slug."""
        return self._read(workspaces.resolve_workspace, ref)

    async def admin_add_member(self, workspace_ref: str, role: str, *,
                               user_id: str | None = None, email: str | None = None
                               ) -> tuple[str, str, str, bool]:
        """(workspace_id, user_id, role, added)."""
        return await self._write(workspaces.admin_add_member, workspace_ref, role, user_id,
                                 email)

    async def admin_create_user(self, display_name: str, email: str,
                                workspace_ref: str | None = None) -> str:
        return await self._write(workspaces.admin_create_user, display_name, email,
                                 workspace_ref)

    async def admin_prune_events(self, workspace_ref: str, before: str,
                                 keep_latest: int | None = None) -> tuple[str, int]:
        """(workspace_id, events deleted)."""
        return await self._write(workspaces.prune_events, workspace_ref, before, keep_latest)
