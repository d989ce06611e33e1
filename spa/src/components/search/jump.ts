// Where a search hit or a pinned message leads: the arguments of chat.jumpToMessage.
import type { Message } from '../../lib/api/client';
import type { SearchResult } from '../../lib/api/search';

export interface JumpTarget {
  kind: 'channel' | 'dm';
  conversationId: string;
  messageId: string;
  seq: number;
  threadRootId: string | null;
}

type Located = Pick<
  SearchResult | Message,
  'id' | 'channel_id' | 'direct_conversation_id' | 'channel_seq' | 'parent_message_id' | 'thread_root_id'
>;

/** The jump for a message (a reply opens its thread); null when it has no conversation. */
export function jumpTarget(m: Located): JumpTarget | null {
  const isDm = !m.channel_id && !!m.direct_conversation_id;
  const conversationId = (isDm ? m.direct_conversation_id : m.channel_id) ?? '';
  if (!conversationId) return null;
  return {
    kind: isDm ? 'dm' : 'channel',
    conversationId,
    messageId: m.id,
    seq: m.channel_seq ?? 0,
    threadRootId: m.parent_message_id ? m.thread_root_id : null,
  };
}

/** On a phone the side panel covers the timeline, so it gets out of the way of a jump. */
export function panelCoversTimeline(): boolean {
  return typeof window !== 'undefined' && !!window.matchMedia?.('(max-width: 767px)').matches;
}
