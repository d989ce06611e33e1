// The realtime client (contract §14): one websocket per workspace, resumed by cursor.
//
//  * start(): no stored cursor -> take the tail over HTTP first, then load state (resync
//    callback), then connect with after_cursor=<tail>, so nothing falls between the two.
//  * Every frame holds one event or a JSON array of events (D11).  Events go through a bounded
//    queue and are applied one at a time; only after apply() resolves is the event's cursor
//    checkpointed (memory + the per-workspace CursorStore).  Ephemeral events (cursor "") are
//    applied and never checkpointed.  Events at or below the checkpoint are dropped (replay
//    overlap).
//  * A generation counter tags each socket: callbacks from a superseded socket are ignored, and
//    an apply() that finishes after its socket was replaced does not checkpoint (the new socket
//    replays from the older checkpoint; apply() must be idempotent).
//  * Close codes: 4001 -> drop the cursor, take a fresh tail, reload state, reconnect from the
//    tail.  1008 -> access revoked: stop and report "denied".  Anything else (1001 shutting down,
//    1013 try again, 1006 network) -> reconnect with exponential backoff and full jitter.
//  * Queue overflow or a failed apply() -> drop the socket and reconnect from the checkpoint.
//  * "online" and the page becoming visible (after a long hide, or while waiting to retry)
//    reconnect at once: a socket may be silently dead after sleep or a network change.
import { BoundedQueue } from './queue';

export interface WireEvent {
  id: string;
  cursor: string;
  type: string;
  workspace_id: string;
  created_at: string;
  payload?: Record<string, unknown> | null;
  channel_id?: string | null;
  seq?: number | null;
}

export type ConnectionState =
  | 'idle' // not started
  | 'connecting'
  | 'open'
  | 'waiting' // backing off before the next attempt
  | 'resyncing' // 4001: reloading state before reconnecting
  | 'denied' // 1008: access revoked; not retrying
  | 'stopped';

export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface CursorStore {
  load(workspaceId: string): string | null;
  save(workspaceId: string, cursor: string): void;
  clear(workspaceId: string): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What the connection listens to for "recheck now" signals (window + document in a browser). */
export interface Environment {
  addEventListener(type: 'online' | 'visibilitychange', fn: () => void): void;
  removeEventListener(type: 'online' | 'visibilitychange', fn: () => void): void;
  isVisible(): boolean;
}

export interface StateInfo {
  attempt: number;
  retryInMs?: number;
  closeCode?: number;
  reason?: string;
}

export interface RealtimeOptions {
  workspaceId: string;
  url(workspaceId: string, afterCursor: string | null): string;
  openSocket(url: string): SocketLike;
  /** GET /api/realtime/events?include_tail=true&limit=1 -> tail_cursor ("" for an empty log). */
  fetchTail(): Promise<string>;
  /** Reload the REST state (channels, open timeline).  Called on start and after 4001. */
  resync(): Promise<void>;
  /** Apply one event to the state.  Must be idempotent: an event may be delivered again. */
  apply(event: WireEvent): void | Promise<void>;
  cursors: CursorStore;
  onState?(state: ConnectionState, info: StateInfo): void;
  onError?(error: unknown, context: string): void;
  timers?: Timers;
  random?: () => number;
  now?: () => number;
  env?: Environment | null;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** An open socket that lived this long resets the backoff. */
  stableMs?: number;
  /** Back from a hide this long: reconnect even if the socket looks open. */
  hiddenRecheckMs?: number;
  queueLimit?: number;
}

export const RESYNC_CLOSE = 4001;
export const POLICY_CLOSE = 1008;

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** A frame holds one event object or an array of events. Anything else is ignored. */
export function parseFrame(data: unknown): WireEvent[] {
  if (typeof data !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return [];
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.filter(
    (e): e is WireEvent =>
      !!e && typeof e === 'object' && typeof (e as WireEvent).type === 'string' &&
      typeof (e as WireEvent).cursor === 'string',
  );
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class RealtimeConnection {
  readonly workspaceId: string;
  #o: RealtimeOptions;
  #timers: Timers;
  #random: () => number;
  #now: () => number;
  #base: number;
  #cap: number;
  #stableMs: number;
  #hiddenRecheckMs: number;

  #gen = 0;
  #socket: SocketLike | null = null;
  #cursor: string | null = null;
  #queue: BoundedQueue<WireEvent>;
  #pumpingGen = -1;
  #attempt = 0;
  #timer: unknown = null;
  #openedAt: number | null = null;
  #hiddenAt: number | null = null;
  #needResync = false;
  #state: ConnectionState = 'idle';
  #stopped = false;

  constructor(options: RealtimeOptions) {
    this.#o = options;
    this.workspaceId = options.workspaceId;
    this.#timers = options.timers ?? defaultTimers;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#base = options.baseDelayMs ?? 500;
    this.#cap = options.maxDelayMs ?? 30_000;
    this.#stableMs = options.stableMs ?? 10_000;
    this.#hiddenRecheckMs = options.hiddenRecheckMs ?? 60_000;
    this.#queue = new BoundedQueue(options.queueLimit ?? 2_000);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The last applied (checkpointed) cursor. */
  get cursor(): string | null {
    return this.#cursor;
  }

  get attempt(): number {
    return this.#attempt;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#o.env?.addEventListener('online', this.#onOnline);
    this.#o.env?.addEventListener('visibilitychange', this.#onVisibility);
    const gen = ++this.#gen;
    this.#setState('connecting');
    try {
      let cursor = this.#o.cursors.load(this.workspaceId);
      if (!cursor) {
        cursor = await this.#o.fetchTail();
        if (gen !== this.#gen) return;
        if (cursor) this.#o.cursors.save(this.workspaceId, cursor);
      }
      this.#cursor = cursor || null;
      await this.#o.resync();
    } catch (err) {
      if (gen !== this.#gen) return;
      this.#o.onError?.(err, 'start');
      this.#needResync = true;
      this.#schedule();
      return;
    }
    if (gen !== this.#gen) return;
    this.#connect();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#gen++;
    this.#clearTimer();
    this.#o.env?.removeEventListener('online', this.#onOnline);
    this.#o.env?.removeEventListener('visibilitychange', this.#onVisibility);
    this.#dropSocket(1000, 'client stopped');
    this.#queue.clear();
    this.#setState('stopped');
  }

  /** Drop any socket or pending retry and connect now (from the checkpoint). */
  reconnectNow(): void {
    if (this.#stopped || this.#state === 'idle' || this.#state === 'denied') return;
    this.#clearTimer();
    this.#attempt = 0;
    this.#gen++;
    this.#dropSocket(1000, 'reconnecting');
    if (this.#needResync) void this.#resync();
    else this.#connect();
  }

  // --- internals ---------------------------------------------------------------------------

  #setState(state: ConnectionState, info: Partial<StateInfo> = {}): void {
    this.#state = state;
    this.#o.onState?.(state, { attempt: this.#attempt, ...info });
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      this.#timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #dropSocket(code: number, reason: string): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#openedAt = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    try {
      socket.close(code, reason);
    } catch {
      /* already closed */
    }
  }

  #connect(): void {
    if (this.#stopped) return;
    const gen = ++this.#gen;
    this.#queue.clear();
    this.#dropSocket(1000, 'replaced');
    this.#setState('connecting');
    let socket: SocketLike;
    try {
      socket = this.#o.openSocket(this.#o.url(this.workspaceId, this.#cursor));
    } catch (err) {
      this.#o.onError?.(err, 'open');
      this.#schedule();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (gen !== this.#gen) return;
      this.#openedAt = this.#now();
      this.#setState('open');
    };
    socket.onmessage = (ev) => {
      if (gen !== this.#gen) return;
      for (const event of parseFrame(ev.data)) {
        if (!this.#queue.push(event)) {
          this.#o.onError?.(new Error('realtime queue overflow'), 'overflow');
          this.#gen++;
          this.#dropSocket(1000, 'client queue overflow');
          this.#schedule();
          return;
        }
      }
      void this.#pump(gen);
    };
    socket.onerror = () => {
      /* a close event follows */
    };
    socket.onclose = (ev) => {
      if (gen !== this.#gen) return;
      this.#socket = null;
      this.#onClose(ev.code, ev.reason);
    };
  }

  async #pump(gen: number): Promise<void> {
    if (this.#pumpingGen === gen) return;
    this.#pumpingGen = gen;
    try {
      while (gen === this.#gen) {
        const event = this.#queue.shift();
        if (!event) return;
        if (event.cursor && this.#cursor && event.cursor <= this.#cursor) continue; // seen
        try {
          await this.#o.apply(event);
        } catch (err) {
          if (gen !== this.#gen) return;
          if (!event.cursor) {
            this.#o.onError?.(err, 'apply'); // ephemeral: may be dropped
            continue;
          }
          // Not checkpointed: reconnect (with backoff) and get it again from the server.
          this.#o.onError?.(err, 'apply');
          this.#gen++;
          this.#dropSocket(1000, 'apply failed');
          this.#queue.clear();
          this.#schedule();
          return;
        }
        if (gen !== this.#gen) return; // superseded: the new socket replays from the checkpoint
        if (event.cursor) {
          this.#cursor = event.cursor;
          this.#o.cursors.save(this.workspaceId, event.cursor);
        }
      }
    } finally {
      if (this.#pumpingGen === gen) this.#pumpingGen = -1;
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#stopped) return;
    if (this.#openedAt !== null && this.#now() - this.#openedAt >= this.#stableMs) this.#attempt = 0;
    this.#openedAt = null;
    if (code === RESYNC_CLOSE) {
      this.#needResync = true;
      if (this.#attempt === 0) {
        this.#attempt = 1;
        void this.#resync();
      } else {
        this.#schedule({ closeCode: code, reason });
      }
      return;
    }
    if (code === POLICY_CLOSE) {
      this.#setState('denied', { closeCode: code, reason });
      return;
    }
    this.#schedule({ closeCode: code, reason });
  }

  #schedule(info: Partial<StateInfo> = {}): void {
    if (this.#stopped) return;
    this.#clearTimer();
    const delay = backoffDelay(this.#attempt, this.#base, this.#cap, this.#random);
    this.#attempt++;
    this.#setState('waiting', { ...info, retryInMs: delay });
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = null;
      if (this.#needResync) void this.#resync();
      else this.#connect();
    }, delay);
  }

  async #resync(): Promise<void> {
    if (this.#stopped) return;
    const gen = ++this.#gen;
    this.#dropSocket(1000, 'resync');
    this.#queue.clear();
    this.#needResync = true;
    this.#cursor = null;
    this.#o.cursors.clear(this.workspaceId);
    this.#setState('resyncing');
    try {
      const tail = await this.#o.fetchTail();
      if (gen !== this.#gen) return;
      await this.#o.resync();
      if (gen !== this.#gen) return;
      this.#cursor = tail || null;
      if (tail) this.#o.cursors.save(this.workspaceId, tail);
      this.#needResync = false;
    } catch (err) {
      if (gen !== this.#gen) return;
      this.#o.onError?.(err, 'resync');
      this.#schedule();
      return;
    }
    this.#connect();
  }

  #onOnline = (): void => {
    this.reconnectNow();
  };

  #onVisibility = (): void => {
    const env = this.#o.env;
    if (!env) return;
    if (!env.isVisible()) {
      this.#hiddenAt = this.#now();
      return;
    }
    const hiddenFor = this.#hiddenAt === null ? 0 : this.#now() - this.#hiddenAt;
    this.#hiddenAt = null;
    if (this.#state === 'waiting' || hiddenFor >= this.#hiddenRecheckMs) this.reconnectNow();
  };
}

/** The browser's WebSocket (the only place the app opens one). */
export function browserSocket(url: string): SocketLike {
  return new WebSocket(url) as unknown as SocketLike;
}

/** localStorage-backed cursors, one per (user, workspace). */
export class LocalCursorStore implements CursorStore {
  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
    private readonly userId: string,
  ) {}

  #key(workspaceId: string): string {
    return `clickclack:cursor:${this.userId}:${workspaceId}`;
  }

  load(workspaceId: string): string | null {
    try {
      return this.storage.getItem(this.#key(workspaceId));
    } catch {
      return null;
    }
  }

  save(workspaceId: string, cursor: string): void {
    try {
      this.storage.setItem(this.#key(workspaceId), cursor);
    } catch {
      /* storage full or blocked: the in-memory cursor still works */
    }
  }

  clear(workspaceId: string): void {
    try {
      this.storage.removeItem(this.#key(workspaceId));
    } catch {
      /* ignore */
    }
  }
}
