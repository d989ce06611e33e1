// Presence from presence.changed ephemeral events: each client announces itself when it
// starts, every HEARTBEAT_MS while visible, and "offline" when the page goes away.  Someone is
// online while their last announcement is recent and was not "offline".
export const HEARTBEAT_MS = 60_000;
export const TTL_MS = 150_000;

export type PresenceStatus = 'online' | 'away' | 'offline';

export class PresenceTracker {
  #seen = new Map<string, { status: PresenceStatus; at: number }>();

  /** Record an announcement; answers true when this person was not known to be online (so a
   *  client can announce itself back and the newcomer sees it without waiting a heartbeat). */
  seen(userId: string, status: string, now: number): boolean {
    const was = this.status(userId, now);
    const s: PresenceStatus = status === 'offline' ? 'offline' : status === 'away' ? 'away' : 'online';
    this.#seen.set(userId, { status: s, at: now });
    return was === 'offline' && s !== 'offline';
  }

  status(userId: string, now: number): PresenceStatus {
    const p = this.#seen.get(userId);
    if (!p || now - p.at > TTL_MS) return 'offline';
    return p.status;
  }

  known(): string[] {
    return [...this.#seen.keys()];
  }

  /** When the next announcement expires (to refresh the dots), or null. */
  nextExpiry(now: number): number | null {
    let next: number | null = null;
    for (const p of this.#seen.values()) {
      const t = p.at + TTL_MS;
      if (p.status !== 'offline' && t > now && (next === null || t < next)) next = t;
    }
    return next;
  }
}
