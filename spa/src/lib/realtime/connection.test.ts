import { describe, expect, it } from 'vitest';
import {
  type ConnectionState,
  type CursorStore,
  type Environment,
  LocalCursorStore,
  RealtimeConnection,
  type RealtimeOptions,
  type SocketLike,
  type WireEvent,
  backoffDelay,
  parseFrame,
} from './connection';

// --- fakes -------------------------------------------------------------------------------------

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closedWith: number | null = null;
  constructor(readonly url: string) {}
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // server side
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  send(events: WireEvent | WireEvent[]): void {
    this.onmessage?.({ data: JSON.stringify(events) });
  }
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

class FakeTimers {
  now = 0;
  #next = 1;
  pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout = (fn: () => void, ms: number): number => {
    const id = this.#next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown): void => {
    this.pending.delete(h as number);
  };
  get delays(): number[] {
    return [...this.pending.values()].map((t) => t.at - this.now);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending]) {
      if (t.at <= this.now) {
        this.pending.delete(id);
        t.fn();
      }
    }
  }
}

class MemoryCursors implements CursorStore {
  map = new Map<string, string>();
  saves: string[] = [];
  load(ws: string) {
    return this.map.get(ws) ?? null;
  }
  save(ws: string, c: string) {
    this.map.set(ws, c);
    this.saves.push(c);
  }
  clear(ws: string) {
    this.map.delete(ws);
  }
}

class FakeEnv implements Environment {
  visible = true;
  listeners = new Map<string, Set<() => void>>();
  addEventListener(type: string, fn: () => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  removeEventListener(type: string, fn: () => void) {
    this.listeners.get(type)?.delete(fn);
  }
  isVisible() {
    return this.visible;
  }
  fire(type: string) {
    for (const fn of this.listeners.get(type) ?? []) fn();
  }
}

function cur(n: number): string {
  return `cur_${String(n).padStart(26, '0')}`;
}

function ev(n: number, extra: Partial<WireEvent> = {}): WireEvent {
  return {
    id: `evt_${n}`,
    cursor: cur(n),
    type: 'message.created',
    workspace_id: 'wsp_1',
    created_at: '2026-01-01T00:00:00Z',
    payload: {},
    ...extra,
  };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup(over: Partial<RealtimeOptions> = {}) {
  const sockets: FakeSocket[] = [];
  const timers = new FakeTimers();
  const cursors = new MemoryCursors();
  const env = new FakeEnv();
  const applied: WireEvent[] = [];
  const states: ConnectionState[] = [];
  const log: string[] = [];
  let tail = cur(100);
  const options: RealtimeOptions = {
    workspaceId: 'wsp_1',
    url: (ws, after) => `ws://x/api/realtime/ws?workspace_id=${ws}${after ? `&after_cursor=${after}` : ''}`,
    openSocket: (url) => {
      log.push('open');
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    fetchTail: async () => {
      log.push('tail');
      return tail;
    },
    resync: async () => {
      log.push('resync');
    },
    apply: (e) => {
      applied.push(e);
    },
    cursors,
    onState: (s) => states.push(s),
    timers,
    random: () => 0.5,
    now: () => timers.now,
    env,
    baseDelayMs: 1000,
    maxDelayMs: 30_000,
    stableMs: 10_000,
    hiddenRecheckMs: 60_000,
    ...over,
  };
  const conn = new RealtimeConnection(options);
  return {
    conn, sockets, timers, cursors, env, applied, states, log,
    setTail: (c: string) => { tail = c; },
    last: () => sockets[sockets.length - 1]!,
  };
}

// --- tests -------------------------------------------------------------------------------------

describe('parseFrame', () => {
  it('accepts one event or an array of events', () => {
    expect(parseFrame(JSON.stringify(ev(1))).map((e) => e.cursor)).toEqual([cur(1)]);
    expect(parseFrame(JSON.stringify([ev(1), ev(2)])).map((e) => e.cursor)).toEqual([cur(1), cur(2)]);
  });
  it('ignores junk', () => {
    expect(parseFrame('not json')).toEqual([]);
    expect(parseFrame(new ArrayBuffer(2))).toEqual([]);
    expect(parseFrame('[1, null, {"type": "x"}]')).toEqual([]);
  });
});

describe('backoffDelay', () => {
  it('is full jitter, doubling, capped', () => {
    expect(backoffDelay(0, 1000, 30_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 1000, 30_000, () => 0.5)).toBe(4000);
    expect(backoffDelay(20, 1000, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffDelay(5, 1000, 30_000, () => 0)).toBe(0);
  });
});

describe('RealtimeConnection', () => {
  it('without a stored cursor: takes the tail, loads state, then connects after the tail', async () => {
    const t = setup();
    await t.conn.start();
    expect(t.log).toEqual(['tail', 'resync', 'open']);
    expect(t.last().url).toContain(`after_cursor=${cur(100)}`);
    expect(t.cursors.load('wsp_1')).toBe(cur(100));
  });

  it('with a stored cursor: resumes from it without taking a tail', async () => {
    const t = setup();
    t.cursors.save('wsp_1', cur(42));
    await t.conn.start();
    expect(t.log).toEqual(['resync', 'open']);
    expect(t.last().url).toContain(`after_cursor=${cur(42)}`);
  });

  it('applies each event in order and only then checkpoints its cursor', async () => {
    const gates: Array<() => void> = [];
    const t = setup({
      apply: (e) =>
        new Promise<void>((resolve) => {
          t.applied.push(e);
          gates.push(resolve);
        }),
    });
    await t.conn.start();
    t.last().open();
    t.last().send([ev(101), ev(102)]);
    t.last().send(ev(103));
    await flush();
    expect(t.applied.map((e) => e.cursor)).toEqual([cur(101)]); // one at a time
    expect(t.conn.cursor).toBe(cur(100)); // not yet checkpointed
    gates.shift()!();
    await flush();
    expect(t.cursors.load('wsp_1')).toBe(cur(101));
    expect(t.applied.length).toBe(2);
    gates.shift()!();
    await flush();
    gates.shift()!();
    await flush();
    expect(t.applied.map((e) => e.cursor)).toEqual([cur(101), cur(102), cur(103)]);
    expect(t.cursors.saves.slice(-3)).toEqual([cur(101), cur(102), cur(103)]);
  });

  it('applies ephemeral events without checkpointing, and skips events already seen', async () => {
    const t = setup();
    await t.conn.start();
    t.last().open();
    t.last().send([ev(99), ev(100), ev(0, { cursor: '', type: 'typing.started', id: 'eph_1' }), ev(101)]);
    await flush();
    expect(t.applied.map((e) => e.type)).toEqual(['typing.started', 'message.created']);
    expect(t.conn.cursor).toBe(cur(101));
  });

  it('on 4001: drops the cursor, takes a fresh tail, reloads state, reconnects from it', async () => {
    const t = setup();
    await t.conn.start();
    t.last().open();
    t.last().send(ev(101));
    await flush();
    t.log.length = 0;
    t.setTail(cur(500));
    t.last().serverClose(4001, 'resync required');
    await flush();
    expect(t.log).toEqual(['tail', 'resync', 'open']);
    expect(t.last().url).toContain(`after_cursor=${cur(500)}`);
    expect(t.cursors.load('wsp_1')).toBe(cur(500));
    expect(t.states).toContain('resyncing');
  });

  it('a second 4001 in a row backs off instead of looping', async () => {
    const t = setup();
    await t.conn.start();
    t.last().serverClose(4001);
    await flush();
    const count = t.sockets.length;
    t.last().serverClose(4001);
    await flush();
    expect(t.sockets.length).toBe(count);
    expect(t.conn.state).toBe('waiting');
    t.timers.advance(30_000);
    await flush();
    expect(t.sockets.length).toBe(count + 1);
  });

  it('on 1008 (access revoked): stops retrying and reports denied', async () => {
    const t = setup();
    await t.conn.start();
    t.last().open();
    t.last().serverClose(1008, 'session revoked');
    await flush();
    expect(t.conn.state).toBe('denied');
    t.timers.advance(120_000);
    expect(t.sockets.length).toBe(1);
  });

  it('reconnects after abnormal closes with growing, capped, jittered delays, from the checkpoint', async () => {
    const t = setup();
    await t.conn.start();
    t.last().open();
    t.last().send(ev(101));
    await flush();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      t.last().serverClose(1006);
      delays.push(t.timers.delays[0]!);
      t.timers.advance(delays[delays.length - 1]!);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(t.last().url).toContain(`after_cursor=${cur(101)}`);
  });

  it('a connection that stayed open resets the backoff; 1001 and 1013 retry too', async () => {
    const t = setup();
    await t.conn.start();
    for (let i = 0; i < 3; i++) {
      t.last().serverClose(1013);
      t.timers.advance(t.timers.delays[0]!);
    }
    expect(t.conn.attempt).toBe(3);
    t.last().open();
    t.timers.advance(11_000);
    t.last().serverClose(1001);
    expect(t.timers.delays[0]).toBe(500); // attempt 0 again
  });

  it('queue overflow drops the socket and reconnects from the checkpoint', async () => {
    const gates: Array<() => void> = [];
    const t = setup({
      queueLimit: 3,
      apply: () => new Promise<void>((r) => gates.push(r)),
    });
    await t.conn.start();
    t.last().open();
    const first = t.last();
    first.send([ev(101), ev(102), ev(103), ev(104), ev(105)]);
    await flush();
    expect(first.closedWith).toBe(1000);
    expect(t.conn.state).toBe('waiting');
    gates.forEach((g) => g());
    await flush();
    expect(t.conn.cursor).toBe(cur(100)); // the superseded apply did not checkpoint
    t.timers.advance(1000);
    expect(t.last()).not.toBe(first);
    expect(t.last().url).toContain(`after_cursor=${cur(100)}`);
  });

  it('a failed apply is not checkpointed and the event is fetched again', async () => {
    let fail = true;
    const t = setup({
      apply: (e) => {
        if (fail && e.cursor === cur(102)) throw new Error('boom');
        t.applied.push(e);
      },
    });
    await t.conn.start();
    t.last().open();
    t.last().send([ev(101), ev(102), ev(103)]);
    await flush();
    expect(t.conn.cursor).toBe(cur(101));
    fail = false;
    t.timers.advance(1000);
    expect(t.last().url).toContain(`after_cursor=${cur(101)}`);
    t.last().open();
    t.last().send([ev(102), ev(103)]);
    await flush();
    expect(t.applied.map((e) => e.cursor)).toEqual([cur(101), cur(102), cur(103)]);
  });

  it('ignores callbacks from a superseded socket', async () => {
    const t = setup();
    await t.conn.start();
    const old = t.last();
    old.open();
    t.conn.reconnectNow();
    const fresh = t.last();
    expect(fresh).not.toBe(old);
    old.send(ev(101));
    old.serverClose(1006);
    await flush();
    expect(t.applied).toEqual([]);
    expect(t.timers.pending.size).toBe(0);
    expect(t.conn.state).toBe('connecting');
  });

  it('"online" reconnects at once, even while waiting for a retry', async () => {
    const t = setup();
    await t.conn.start();
    t.last().serverClose(1006);
    expect(t.conn.state).toBe('waiting');
    const n = t.sockets.length;
    t.env.fire('online');
    expect(t.sockets.length).toBe(n + 1);
    expect(t.timers.pending.size).toBe(0);
  });

  it('visibility: a long hide reconnects on return, a short one does not', async () => {
    const t = setup();
    await t.conn.start();
    t.last().open();
    const n = t.sockets.length;
    t.env.visible = false;
    t.env.fire('visibilitychange');
    t.timers.advance(5_000);
    t.env.visible = true;
    t.env.fire('visibilitychange');
    expect(t.sockets.length).toBe(n);
    t.env.visible = false;
    t.env.fire('visibilitychange');
    t.timers.advance(61_000);
    t.env.visible = true;
    t.env.fire('visibilitychange');
    expect(t.sockets.length).toBe(n + 1);
  });

  it('a failed start retries with a resync', async () => {
    let fail = true;
    const t = setup({
      resync: async () => {
        t.log.push('resync');
        if (fail) throw new Error('offline');
      },
    });
    await t.conn.start();
    expect(t.conn.state).toBe('waiting');
    fail = false;
    t.timers.advance(1000);
    await flush();
    expect(t.log).toEqual(['tail', 'resync', 'tail', 'resync', 'open']);
  });

  it('stop() closes the socket and never reconnects', async () => {
    const t = setup();
    await t.conn.start();
    const s = t.last();
    t.conn.stop();
    expect(s.closedWith).toBe(1000);
    t.env.fire('online');
    t.timers.advance(60_000);
    expect(t.sockets.length).toBe(1);
    expect(t.conn.state).toBe('stopped');
    expect(t.env.listeners.get('online')?.size).toBe(0);
  });
});

describe('LocalCursorStore', () => {
  it('keeps one cursor per user and workspace', () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    const a = new LocalCursorStore(storage, 'usr_a');
    const b = new LocalCursorStore(storage, 'usr_b');
    a.save('wsp_1', cur(1));
    a.save('wsp_2', cur(2));
    expect(a.load('wsp_1')).toBe(cur(1));
    expect(a.load('wsp_2')).toBe(cur(2));
    expect(b.load('wsp_1')).toBeNull();
    a.clear('wsp_1');
    expect(a.load('wsp_1')).toBeNull();
  });

  it('survives a storage that throws', () => {
    const storage = {
      getItem: () => { throw new Error('denied'); },
      setItem: () => { throw new Error('full'); },
      removeItem: () => { throw new Error('denied'); },
    };
    const s = new LocalCursorStore(storage, 'u');
    expect(s.load('w')).toBeNull();
    s.save('w', 'x');
    s.clear('w');
  });
});
