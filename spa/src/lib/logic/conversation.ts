// Conversations are channels (chn_…) or direct conversations (dm_…).  The timeline, composer,
// read pointers and unread counts work the same for both; these helpers name and sort DMs.
import type { Channel, DirectConversation, User } from '../api/client';

export type ConversationKind = 'channel' | 'dm';

export function kindOf(conversationId: string): ConversationKind {
  return conversationId.startsWith('dm_') ? 'dm' : 'channel';
}

/** The other people in a DM (all of them; yourself only in a DM with yourself). */
export function dmPeers(dm: Pick<DirectConversation, 'members'>, meId: string | null): User[] {
  const others = dm.members.filter((u) => u.id !== meId);
  return others.length ? others : dm.members;
}

/** "Ada", "Ada, Bo and Cy": a DM's title. */
export function dmTitle(dm: Pick<DirectConversation, 'members'>, meId: string | null): string {
  const names = dmPeers(dm, meId).map((u) => u.display_name || u.handle || 'Someone');
  if (names.length <= 1) return names[0] ?? 'Direct message';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** What the conversation view needs to know, for a channel or a DM alike. */
export interface ConversationView {
  kind: ConversationKind;
  id: string;
  /** "#general" or "Ada and Bo". */
  title: string;
  /** A channel's topic line. */
  topic: string;
  /** The people in a DM (for presence dots); empty for channels. */
  peers: User[];
  /** False for a DM whose other members have all left the workspace. */
  canSend: boolean;
}

export function channelView(c: Pick<Channel, 'id' | 'name' | 'display_title'>): ConversationView {
  return { kind: 'channel', id: c.id, title: `#${c.name}`, topic: c.display_title ?? '', peers: [], canSend: true };
}

export function dmView(dm: DirectConversation, meId: string | null): ConversationView {
  return { kind: 'dm', id: dm.id, title: dmTitle(dm, meId), topic: '', peers: dmPeers(dm, meId), canSend: dm.can_send };
}
