// Unread state per channel.  The server's channel list gives last_seq, last_read_seq and
// unread_count (messages by others after the read pointer).  Live message.created events move
// last_seq forward; marking a channel read moves the read pointer forward (never back).
// The server keeps the read pointer (POST /api/channels/{id}/read, channel.read events reach all
// of a person's sessions); `localReadSeq` lets a caller fold in a pointer it knows is newer.
import type { Channel } from '../api/client';

export interface UnreadState {
  lastSeq: number;
  readSeq: number;
  unread: number;
  mentions: number;
}

/** A channel or a DM from its list (the counters have the same names). */
export type Counted = Pick<Channel, 'last_seq' | 'last_read_seq' | 'unread_count' | 'mention_count'>;

export function fromChannel(c: Counted, localReadSeq: number): UnreadState {
  const serverRead = c.last_read_seq ?? 0;
  const readSeq = Math.min(Math.max(serverRead, localReadSeq), c.last_seq);
  const unread = readSeq > serverRead ? Math.max(0, c.last_seq - readSeq) : c.unread_count;
  const count = Math.max(0, Math.min(unread, c.last_seq - readSeq));
  return { lastSeq: c.last_seq, readSeq, unread: count, mentions: count > 0 ? Math.min(count, c.mention_count ?? 0) : 0 };
}

/** A new root message (from a live event).  Idempotent: an event replayed with a seq we have
 *  already counted changes nothing. */
export function onMessage(s: UnreadState, seq: number, byMe: boolean): UnreadState {
  if (seq <= s.lastSeq) return s;
  if (byMe) return { ...s, lastSeq: seq }; // your own messages are never unread
  return { ...s, lastSeq: seq, unread: s.unread + 1 };
}

export function markRead(s: UnreadState, seq: number = s.lastSeq): UnreadState {
  const readSeq = Math.min(Math.max(s.readSeq, seq), Math.max(s.lastSeq, seq));
  if (readSeq === s.readSeq && s.unread === 0) return s;
  const unread = readSeq >= s.lastSeq ? 0 : Math.min(s.unread, s.lastSeq - readSeq);
  return { ...s, readSeq, unread, mentions: unread === 0 ? 0 : s.mentions };
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
