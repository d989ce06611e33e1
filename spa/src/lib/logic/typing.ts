// Typing indicators.  Incoming typing.started events are shown for a few seconds unless renewed;
// typing.stopped or a message from that person removes them.  Outgoing typing.started is
// throttled so a busy typist sends one event every few seconds, not one per key.

export const TYPING_TTL_MS = 6_000;
export const TYPING_SEND_EVERY_MS = 3_000;

export class TypingTracker {
  /** channelId -> userId -> expiry (ms) */
  #byChannel = new Map<string, Map<string, number>>();

  started(channelId: string, userId: string, now: number, ttl = TYPING_TTL_MS): void {
    let users = this.#byChannel.get(channelId);
    if (!users) this.#byChannel.set(channelId, (users = new Map()));
    users.set(userId, now + ttl);
  }

  stopped(channelId: string, userId: string): void {
    this.#byChannel.get(channelId)?.delete(userId);
  }

  /** User ids typing in a channel now, oldest first, without `exceptUserId`. */
  active(channelId: string, now: number, exceptUserId: string | null = null): string[] {
    const users = this.#byChannel.get(channelId);
    if (!users) return [];
    const out: string[] = [];
    for (const [user, until] of users) {
      if (until <= now) users.delete(user);
      else if (user !== exceptUserId) out.push(user);
    }
    return out;
  }

  /** The soonest expiry across all channels (to schedule the next refresh), or null. */
  nextExpiry(): number | null {
    let next: number | null = null;
    for (const users of this.#byChannel.values())
      for (const until of users.values()) if (next === null || until < next) next = until;
    return next;
  }
}

/** "Ada is typing…", "Ada and Bo are typing…", "Ada, Bo and 2 others are typing…" */
export function typingText(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others are typing…`;
}

/** Lets one call through per `everyMs` per key. */
export class Throttle {
  #last = new Map<string, number>();
  constructor(private readonly everyMs = TYPING_SEND_EVERY_MS) {}

  ready(key: string, now: number): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.everyMs) return false;
    this.#last.set(key, now);
    return true;
  }

  reset(key: string): void {
    this.#last.delete(key);
  }
}
