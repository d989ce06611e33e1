// Presence: this client announces itself (presence.changed, workspace-wide) when a workspace
// feed connects ("hello": please answer), every heartbeat while the page runs ("away" when
// hidden), and in answer to a hello or to someone it had not seen (marked as a reply, which is
// never answered: no echo storms).  Others' announcements make them online until they expire
// (logic/presence.ts).
import type { Api } from '../api/api';
import { HEARTBEAT_MS, PresenceTracker, type PresenceStatus } from '../logic/presence';

export interface PresenceDeps {
  api: Pick<Api, 'ephemeral'>;
  now: () => number;
  visible: () => boolean;
  meId: () => string | null;
}

export class PresenceState {
  /** Who is online or away (everyone else is offline); replaced as a whole. */
  online = $state.raw<Record<string, 'online' | 'away'>>({});

  #d: PresenceDeps;
  #tracker = new PresenceTracker();
  #workspaceId: string | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #expiry: ReturnType<typeof setTimeout> | null = null;
  #lastAnnounce = 0;

  constructor(deps: PresenceDeps) {
    this.#d = deps;
  }

  of(userId: string): PresenceStatus {
    if (userId === this.#d.meId()) return 'online';
    return this.online[userId] ?? 'offline';
  }

  /** The workspace feed is (re)connected: announce ourselves (ephemeral events are not
   *  replayed, so only now can the answers reach us); start the heartbeat for a new workspace. */
  connected(workspaceId: string): void {
    if (workspaceId !== this.#workspaceId) {
      this.stop();
      this.#workspaceId = workspaceId;
      this.#tracker = new PresenceTracker();
      this.online = {};
      this.#heartbeat = setInterval(() => this.#announce(), HEARTBEAT_MS);
    }
    this.#announce('hello');
  }

  stop(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#expiry) clearTimeout(this.#expiry);
    this.#heartbeat = this.#expiry = null;
    this.#workspaceId = null;
  }

  /** The tab came back: say so, unless we did recently. */
  onVisible(): void {
    if (this.#d.now() - this.#lastAnnounce > 30_000) this.#announce();
  }

  /** A presence.changed event from someone else. */
  seen(userId: string, status: string, kind: 'hello' | 'reply' | '' = ''): void {
    if (!userId || userId === this.#d.meId()) return;
    const newcomer = this.#tracker.seen(userId, status || 'online', this.#d.now());
    this.#refresh();
    // Someone (re)connected, or came online unseen: tell them we are here too.
    if (status !== 'offline' && (kind === 'hello' || (newcomer && kind !== 'reply'))) this.#announce('reply');
  }

  #announce(kind: 'hello' | 'reply' | '' = ''): void {
    const ws = this.#workspaceId;
    if (!ws) return;
    this.#lastAnnounce = this.#d.now();
    const status = this.#d.visible() ? 'online' : 'away';
    const payload: Record<string, string> = kind ? { status, [kind]: '1' } : { status };
    void this.#d.api.ephemeral(ws, 'presence.changed', null, payload).catch(() => undefined);
  }

  #refresh(): void {
    const now = this.#d.now();
    const online: Record<string, 'online' | 'away'> = {};
    for (const id of this.#tracker.known()) {
      const s = this.#tracker.status(id, now);
      if (s !== 'offline') online[id] = s;
    }
    this.online = online;
    if (this.#expiry) clearTimeout(this.#expiry);
    const next = this.#tracker.nextExpiry(now);
    this.#expiry = next === null ? null : setTimeout(() => this.#refresh(), next - now + 50);
  }
}
