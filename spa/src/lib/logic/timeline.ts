// A channel's message window: root messages ordered by channel_seq, loaded in pages both ways
// (before_seq / after_seq / around_seq / latest), bounded in size, merged without duplicates.
// Plain data + pure functions so vitest can check the merging rules.
import type { Message, MessagePage } from '../api/client';

export type PageKind = 'latest' | 'before' | 'after' | 'around';

export interface Timeline {
  /** Ascending by seq, unique by id. */
  messages: Message[];
  hasOlder: boolean;
  /** true when newer messages exist than the newest loaded one (the window is not live). */
  hasNewer: boolean;
  loaded: boolean;
}

export const WINDOW_MAX = 300;

export function emptyTimeline(): Timeline {
  return { messages: [], hasOlder: false, hasNewer: false, loaded: false };
}

export function seqOf(m: Message): number {
  return m.channel_seq ?? 0;
}

export function oldestSeq(t: Timeline): number | null {
  const m = t.messages[0];
  return m ? seqOf(m) : null;
}

export function newestSeq(t: Timeline): number | null {
  const m = t.messages[t.messages.length - 1];
  return m ? seqOf(m) : null;
}

/** Merge messages into a sorted, de-duplicated list; a later copy of a message wins. */
export function mergeMessages(current: Message[], incoming: Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of current) byId.set(m.id, m);
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => seqOf(a) - seqOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Apply a fetched page.  latest/around replace the window; before/after extend it. */
export function applyPage(t: Timeline, page: MessagePage, kind: PageKind, max = WINDOW_MAX): Timeline {
  let next: Timeline;
  switch (kind) {
    case 'latest':
    case 'around':
      next = { messages: mergeMessages([], page.messages), hasOlder: page.has_older, hasNewer: page.has_newer, loaded: true };
      break;
    case 'before':
      next = {
        messages: mergeMessages(t.messages, page.messages),
        hasOlder: page.has_older,
        hasNewer: t.hasNewer,
        loaded: true,
      };
      return trim(next, 'newest', max);
    case 'after':
      next = {
        messages: mergeMessages(t.messages, page.messages),
        hasOlder: t.hasOlder,
        hasNewer: page.has_newer,
        loaded: true,
      };
      return trim(next, 'oldest', max);
  }
  return next;
}

/** Keep at most `max` messages, dropping from one end and remembering that more exist there. */
export function trim(t: Timeline, drop: 'oldest' | 'newest', max = WINDOW_MAX): Timeline {
  if (t.messages.length <= max) return t;
  if (drop === 'oldest') return { ...t, messages: t.messages.slice(t.messages.length - max), hasOlder: true };
  return { ...t, messages: t.messages.slice(0, max), hasNewer: true };
}

/** A message we got outside a page (our own send).  Appended only when the window is live:
 *  a window scrolled into the past must not grow a gap. */
export function addLive(t: Timeline, m: Message, max = WINDOW_MAX): Timeline {
  if (t.messages.some((x) => x.id === m.id)) return { ...t, messages: mergeMessages(t.messages, [m]) };
  if (t.hasNewer || !t.loaded) return t;
  const oldest = oldestSeq(t);
  if (oldest !== null && seqOf(m) < oldest) return t; // older than the window: not ours to show
  return trim({ ...t, messages: mergeMessages(t.messages, [m]) }, 'oldest', max);
}

/** Should a message.created event with this seq trigger a fetch of newer messages? */
export function needsCatchUp(t: Timeline, eventSeq: number | null | undefined): boolean {
  if (!t.loaded || t.hasNewer) return false; // not live: the user will page forward
  const newest = newestSeq(t);
  if (eventSeq == null) return true;
  return newest === null || eventSeq > newest;
}

/** Index of the first message that is unread for me (above it goes the "new messages"
 *  divider), or -1.  My own messages never count as unread. */
export function firstUnreadIndex(messages: Message[], readSeq: number, meId: string | null): number {
  return messages.findIndex((m) => seqOf(m) > readSeq && m.author_id !== meId && !m.deleted_at);
}

/** Group consecutive messages by the same author within `gapMs` (a compact row hides the
 *  repeated name and avatar). */
export function isContinuation(prev: Message | undefined, m: Message, gapMs = 5 * 60_000): boolean {
  if (!prev || prev.author_id !== m.author_id || prev.kind !== m.kind) return false;
  const a = Date.parse(prev.created_at);
  const b = Date.parse(m.created_at);
  return Number.isFinite(a) && Number.isFinite(b) && b - a >= 0 && b - a < gapMs && sameDay(prev.created_at, m.created_at);
}

export function sameDay(a: string, b: string): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}
