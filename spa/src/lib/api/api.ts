// Typed operations used by the app's controller.  Every call goes through the generated client;
// components never call these directly (they call the controller's actions).
import {
  type ApiClient,
  type Channel,
  type Message,
  type MessagePage,
  type RealtimeEvent,
  type User,
  type Workspace,
  unwrap,
} from './client';

export type PageQuery =
  | { mode: 'latest' }
  | { before_seq: number }
  | { after_seq: number }
  | { around_seq: number };

export type EphemeralType = 'typing.started' | 'typing.stopped' | 'presence.changed';

export class Api {
  constructor(readonly client: ApiClient) {}

  // --- session -------------------------------------------------------------------------
  async me(): Promise<User> {
    return (await unwrap(this.client.GET('/api/me'))).user;
  }

  /** With dev bootstrap on loopback the server answers with the token inline (201); with mail
   *  configured it sends the link and answers without one. */
  async requestMagicLink(email: string, displayName = ''): Promise<{ token: string | null }> {
    const body = await unwrap(
      this.client.POST('/api/auth/magic/request', { body: { email, display_name: displayName } }),
    );
    const token = (body as { token?: unknown }).token;
    return { token: typeof token === 'string' && token ? token : null };
  }

  async consumeMagicLink(token: string): Promise<User> {
    return (await unwrap(this.client.POST('/api/auth/magic/consume', { body: { token } }))).user;
  }

  async logout(): Promise<void> {
    await unwrap(this.client.POST('/api/auth/logout'));
  }

  // --- workspaces and channels ---------------------------------------------------------
  async workspaces(): Promise<Workspace[]> {
    return (await unwrap(this.client.GET('/api/workspaces'))).workspaces;
  }

  async createWorkspace(name: string): Promise<Workspace> {
    return (await unwrap(this.client.POST('/api/workspaces', { body: { name } }))).workspace;
  }

  async channels(workspaceId: string): Promise<Channel[]> {
    const params = { path: { workspace_id: workspaceId } };
    return (await unwrap(this.client.GET('/api/workspaces/{workspace_id}/channels', { params })))
      .channels;
  }

  async createChannel(workspaceId: string, name: string): Promise<Channel> {
    const params = { path: { workspace_id: workspaceId } };
    const body = { name };
    return (
      await unwrap(this.client.POST('/api/workspaces/{workspace_id}/channels', { params, body }))
    ).channel;
  }

  /** The first page of the member directory (names for typing indicators and the like). */
  async members(workspaceId: string, limit = 200): Promise<User[]> {
    const params = { path: { workspace_id: workspaceId }, query: { limit } };
    const page = await unwrap(this.client.GET('/api/workspaces/{workspace_id}/members', { params }));
    return page.members.map((m) => m.user);
  }

  // --- messages --------------------------------------------------------------------------
  async messages(channelId: string, query: PageQuery, limit = 50): Promise<MessagePage> {
    const params = { path: { channel_id: channelId }, query: { ...query, limit } };
    return unwrap(this.client.GET('/api/channels/{channel_id}/messages', { params }));
  }

  /** Idempotent by nonce: retrying with the same nonce returns the same message (200). */
  async postMessage(channelId: string, body: string, nonce: string): Promise<Message> {
    const params = { path: { channel_id: channelId } };
    return (
      await unwrap(
        this.client.POST('/api/channels/{channel_id}/messages', { params, body: { body, nonce } }),
      )
    ).message;
  }

  /** Move my read pointer forward (the server caps it and never moves it back). */
  async markChannelRead(channelId: string, seq: number): Promise<void> {
    const params = { path: { channel_id: channelId } };
    await unwrap(this.client.POST('/api/channels/{channel_id}/read', { params, body: { seq } }));
  }

  // --- realtime --------------------------------------------------------------------------
  /** The newest event cursor visible to the caller ("" when the log is empty). */
  async tailCursor(workspaceId: string): Promise<string> {
    const params = { query: { workspace_id: workspaceId, include_tail: true, limit: 1 } };
    const page = await unwrap(this.client.GET('/api/realtime/events', { params }));
    return page.tail_cursor ?? '';
  }

  async ephemeral(workspaceId: string, type: EphemeralType, channelId: string): Promise<RealtimeEvent> {
    const body = { workspace_id: workspaceId, type, channel_id: channelId };
    return (await unwrap(this.client.POST('/api/realtime/ephemeral', { body }))).event;
  }
}

/** The websocket URL for a workspace feed (same origin, so the cookie authenticates it). */
export function realtimeUrl(location: { protocol: string; host: string }, workspaceId: string, afterCursor: string | null): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ workspace_id: workspaceId });
  if (afterCursor) q.set('after_cursor', afterCursor);
  return `${scheme}//${location.host}/api/realtime/ws?${q.toString()}`;
}
