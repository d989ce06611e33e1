// Typed operations used by the app's controller.  Every call goes through the generated client;
// components never call these directly (they call the controller's actions).
import {
  type ApiClient,
  type Channel,
  type DirectConversation,
  type Message,
  type MessagePage,
  type ReactionSummary,
  type RealtimeEvent,
  type SignInMethods,
  type ThreadPage,
  type User,
  type Workspace,
  unwrap,
} from './client';

export type PageQuery =
  | { mode: 'latest' }
  | { before_seq: number }
  | { after_seq: number }
  | { around_seq: number };

export type ThreadQuery = { latest: true } | { before_seq: number } | { after_seq: number };

export type EphemeralType = 'typing.started' | 'typing.stopped' | 'presence.changed';

/** A conversation id is a channel (chn_…) or a direct conversation (dm_…). */
export function isDm(conversationId: string): boolean {
  return conversationId.startsWith('dm_');
}

export class Api {
  constructor(readonly client: ApiClient) {}

  // --- session -------------------------------------------------------------------------
  /** What the sign-in page may offer here (dev sign-in only for loopback + dev bootstrap). */
  async signInMethods(): Promise<SignInMethods> {
    return unwrap(this.client.GET('/api/auth/methods'));
  }

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

  // --- messages (a conversation is a channel or a DM: one code path) ------------------
  async messages(conversationId: string, query: PageQuery, limit = 50): Promise<MessagePage> {
    if (isDm(conversationId)) {
      const params = { path: { conversation_id: conversationId }, query: { ...query, limit } };
      return unwrap(this.client.GET('/api/dms/{conversation_id}/messages', { params }));
    }
    const params = { path: { channel_id: conversationId }, query: { ...query, limit } };
    return unwrap(this.client.GET('/api/channels/{channel_id}/messages', { params }));
  }

  /** Idempotent by nonce: retrying with the same nonce returns the same message (200). */
  async postMessage(conversationId: string, body: string, nonce: string, uploadId?: string): Promise<Message> {
    const payload = uploadId ? { body, nonce, upload_id: uploadId } : { body, nonce };
    if (isDm(conversationId)) {
      const params = { path: { conversation_id: conversationId } };
      return (await unwrap(this.client.POST('/api/dms/{conversation_id}/messages', { params, body: payload }))).message;
    }
    const params = { path: { channel_id: conversationId } };
    return (await unwrap(this.client.POST('/api/channels/{channel_id}/messages', { params, body: payload }))).message;
  }

  /** Move my read pointer forward (the server caps it and never moves it back). */
  async markRead(conversationId: string, seq: number): Promise<void> {
    if (isDm(conversationId)) {
      const params = { path: { conversation_id: conversationId } };
      await unwrap(this.client.POST('/api/dms/{conversation_id}/read', { params, body: { seq } }));
      return;
    }
    const params = { path: { channel_id: conversationId } };
    await unwrap(this.client.POST('/api/channels/{channel_id}/read', { params, body: { seq } }));
  }

  async message(messageId: string): Promise<Message> {
    const params = { path: { message_id: messageId } };
    return (await unwrap(this.client.GET('/api/messages/{message_id}', { params }))).message;
  }

  async editMessage(messageId: string, body: string): Promise<Message> {
    const params = { path: { message_id: messageId } };
    return (await unwrap(this.client.PATCH('/api/messages/{message_id}', { params, body: { body } }))).message;
  }

  async deleteMessage(messageId: string): Promise<Message> {
    const params = { path: { message_id: messageId } };
    return (await unwrap(this.client.DELETE('/api/messages/{message_id}', { params }))).message;
  }

  async attach(messageId: string, uploadId: string): Promise<void> {
    const params = { path: { message_id: messageId } };
    await unwrap(this.client.POST('/api/messages/{message_id}/attachments', { params, body: { upload_id: uploadId } }));
  }

  // --- threads ---------------------------------------------------------------------------
  async thread(rootId: string, query: ThreadQuery, limit = 50): Promise<ThreadPage> {
    const params = { path: { message_id: rootId }, query: { ...query, limit } };
    return unwrap(this.client.GET('/api/messages/{message_id}/thread', { params }));
  }

  async reply(rootId: string, body: string, nonce: string): Promise<Message> {
    const params = { path: { message_id: rootId } };
    return (await unwrap(this.client.POST('/api/messages/{message_id}/thread/replies', { params, body: { body, nonce } })))
      .message;
  }

  // --- reactions and pins ----------------------------------------------------------------
  async react(messageId: string, emoji: string): Promise<ReactionSummary[]> {
    const params = { path: { message_id: messageId } };
    return (await unwrap(this.client.POST('/api/messages/{message_id}/reactions', { params, body: { emoji } }))).reactions;
  }

  async unreact(messageId: string, emoji: string): Promise<ReactionSummary[]> {
    const params = { path: { message_id: messageId, emoji } };
    return (await unwrap(this.client.DELETE('/api/messages/{message_id}/reactions/{emoji}', { params }))).reactions;
  }

  async pins(channelId: string): Promise<Message[]> {
    const params = { path: { channel_id: channelId } };
    return (await unwrap(this.client.GET('/api/channels/{channel_id}/pins', { params }))).messages;
  }

  async pin(channelId: string, messageId: string): Promise<void> {
    const params = { path: { channel_id: channelId } };
    await unwrap(this.client.POST('/api/channels/{channel_id}/pins', { params, body: { message_id: messageId } }));
  }

  async unpin(channelId: string, messageId: string): Promise<void> {
    const params = { path: { channel_id: channelId, message_id: messageId } };
    await unwrap(this.client.DELETE('/api/channels/{channel_id}/pins/{message_id}', { params }));
  }

  // --- direct messages -------------------------------------------------------------------
  async dms(workspaceId: string): Promise<DirectConversation[]> {
    const params = { query: { workspace_id: workspaceId } };
    return (await unwrap(this.client.GET('/api/dms', { params }))).conversations;
  }

  async dm(conversationId: string): Promise<DirectConversation> {
    const params = { path: { conversation_id: conversationId } };
    return (await unwrap(this.client.GET('/api/dms/{conversation_id}', { params }))).conversation;
  }

  async createDm(workspaceId: string, memberIds: string[]): Promise<DirectConversation> {
    const body = { workspace_id: workspaceId, member_ids: memberIds };
    return (await unwrap(this.client.POST('/api/dms', { body }))).conversation;
  }

  // --- realtime --------------------------------------------------------------------------
  /** The newest event cursor visible to the caller ("" when the log is empty). */
  async tailCursor(workspaceId: string): Promise<string> {
    const params = { query: { workspace_id: workspaceId, include_tail: true, limit: 1 } };
    const page = await unwrap(this.client.GET('/api/realtime/events', { params }));
    return page.tail_cursor ?? '';
  }

  /** Typing in a conversation, or presence (no conversation: workspace-wide). */
  async ephemeral(
    workspaceId: string, type: EphemeralType, conversationId: string | null, payload?: Record<string, string>,
  ): Promise<RealtimeEvent> {
    const target = !conversationId ? {} : isDm(conversationId)
      ? { direct_conversation_id: conversationId } : { channel_id: conversationId };
    const body = { workspace_id: workspaceId, type, ...target, ...(payload ? { payload: payload as Record<string, never> } : {}) };
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
