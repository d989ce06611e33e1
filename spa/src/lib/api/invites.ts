// Workspace invites (contract Part A D5) through the generated client.
import { type ApiClient, type Schemas, type Workspace, createApiClient, unwrap } from './client';

export type Invite = Schemas['Invite'];
export type InvitePreview = Schemas['InvitePreview'];

export interface InviteOptions {
  expiresInHours: number;
  maxUses: number;
}

export class InvitesApi {
  constructor(readonly client: ApiClient = createApiClient()) {}

  async create(workspaceId: string, opts: InviteOptions): Promise<{ invite: Invite; token: string }> {
    return unwrap(
      this.client.POST('/api/workspaces/{workspace_id}/invites', {
        params: { path: { workspace_id: workspaceId } },
        body: { expires_in_hours: opts.expiresInHours, max_uses: opts.maxUses },
      }),
    );
  }

  async list(workspaceId: string): Promise<Invite[]> {
    const params = { path: { workspace_id: workspaceId } };
    return (await unwrap(this.client.GET('/api/workspaces/{workspace_id}/invites', { params }))).invites;
  }

  async revoke(workspaceId: string, inviteId: string): Promise<void> {
    const params = { path: { workspace_id: workspaceId, invite_id: inviteId } };
    await unwrap(this.client.DELETE('/api/workspaces/{workspace_id}/invites/{invite_id}', { params }));
  }

  async preview(token: string): Promise<InvitePreview> {
    const params = { path: { token } };
    return (await unwrap(this.client.GET('/api/invites/{token}', { params }))).invite;
  }

  async accept(token: string): Promise<Workspace> {
    const params = { path: { token } };
    return (await unwrap(this.client.POST('/api/invites/{token}/accept', { params }))).workspace;
  }
}
