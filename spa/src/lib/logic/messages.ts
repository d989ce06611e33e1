// Pure rules for changing messages already on screen: edits and deletes (fetched after a
// message.updated / message.deleted event), reaction counts from reaction.* events, and
// thread summaries from thread.state_updated.  All idempotent, so replayed events are harmless.
import type { Message, ReactionSummary, ThreadState } from '../api/client';

/** Swap in a fresh copy of a message (by id).  GET /api/messages/{id} carries no thread_state,
 *  so the one we had is kept. */
export function replaceMessage(list: Message[], fresh: Message): Message[] {
  let changed = false;
  const next = list.map((m) => {
    if (m.id !== fresh.id) return m;
    changed = true;
    return fresh.thread_state || !m.thread_state ? fresh : { ...fresh, thread_state: m.thread_state };
  });
  return changed ? next : list;
}

/** Apply a reaction event: `count` is the count after the change (absolute, so replays are
 *  harmless); `mine` says whether the event's user is me (then reacted_by_me follows it). */
export function applyReaction(
  reactions: ReactionSummary[] | null | undefined,
  emoji: string,
  count: number,
  added: boolean,
  mine: boolean,
): ReactionSummary[] {
  const list = reactions ?? [];
  const i = list.findIndex((r) => r.emoji === emoji);
  const prev = i >= 0 ? list[i]! : null;
  const reactedByMe = mine ? added : (prev?.reacted_by_me ?? false);
  if (count <= 0) return list.filter((r) => r.emoji !== emoji);
  const next: ReactionSummary = { emoji, count, reacted_by_me: reactedByMe };
  if (!prev) return [...list, next];
  return list.map((r, j) => (j === i ? next : r));
}

/** Set a message's reactions (by id) in a list. */
export function withReactions(list: Message[], messageId: string, f: (r: ReactionSummary[] | null | undefined) => ReactionSummary[]): Message[] {
  let changed = false;
  const next = list.map((m) => {
    if (m.id !== messageId) return m;
    changed = true;
    return { ...m, reactions: f(m.reactions) };
  });
  return changed ? next : list;
}

/** Set a root's thread summary (by id) in a list. */
export function withThreadState(list: Message[], state: ThreadState): Message[] {
  let changed = false;
  const next = list.map((m) => {
    if (m.id !== state.root_message_id) return m;
    changed = true;
    return { ...m, thread_state: state };
  });
  return changed ? next : list;
}

/** A deleted root stays in the page (its seq slot is kept); we show it only as a "deleted"
 *  placeholder while it still has replies, otherwise it disappears. */
export function isShown(m: Message): boolean {
  return !m.deleted_at || (m.thread_state?.reply_count ?? 0) > 0;
}

/** The newest message I wrote that can still be edited (Up arrow in an empty composer). */
export function lastOwnMessage(list: Message[], meId: string | null): Message | null {
  if (!meId) return null;
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i]!;
    if (m.author_id === meId && !m.deleted_at && (!m.kind || m.kind === 'message')) return m;
  }
  return null;
}

export function replyLabel(n: number): string {
  return n === 1 ? '1 reply' : `${n} replies`;
}

export function byteSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

/** The size to show an image at: its own, scaled down (never up) to fit the box.  Given as the
 *  <img> width/height, it reserves the space before the image loads, so the timeline does not
 *  jump (and "scrolled to the newest message" stays true).  Null when the size is unknown. */
export function fitImage(width: number, height: number, maxWidth = 320, maxHeight = 240): { width: number; height: number } | null {
  if (!(width > 0) || !(height > 0)) return null;
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
