import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './queue';

describe('BoundedQueue', () => {
  it('is FIFO', () => {
    const q = new BoundedQueue<number>(10);
    for (const n of [1, 2, 3]) expect(q.push(n)).toBe(true);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([1, 2, 3, undefined]);
    expect(q.size).toBe(0);
  });

  it('refuses items beyond its limit, and accepts again once drained', () => {
    const q = new BoundedQueue<string>(2);
    expect(q.push('a')).toBe(true);
    expect(q.push('b')).toBe(true);
    expect(q.push('c')).toBe(false);
    expect(q.size).toBe(2);
    q.shift();
    expect(q.push('c')).toBe(true);
    expect([q.shift(), q.shift()]).toEqual(['b', 'c']);
  });

  it('keeps order across many pushes and shifts (compaction)', () => {
    const q = new BoundedQueue<number>(1000);
    const out: number[] = [];
    for (let i = 0; i < 500; i++) {
      q.push(i);
      if (i % 3 === 0) out.push(q.shift()!);
    }
    while (q.size) out.push(q.shift()!);
    expect(out).toEqual([...Array(500).keys()]);
  });

  it('clear empties it', () => {
    const q = new BoundedQueue<number>(3);
    q.push(1);
    q.clear();
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('rejects a nonsense limit', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
