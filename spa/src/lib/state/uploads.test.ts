import { describe, expect, it } from 'vitest';
import type { Upload } from '../api/client';
import { ApiError } from '../api/client';
import { UploadQueue } from './uploads.svelte';

function deferred() {
  let resolve!: (u: Upload) => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<Upload>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { done, resolve, reject };
}

describe('UploadQueue', () => {
  it('tracks progress, finished uploads, failures and cancels', async () => {
    const calls: { name: string; progress: (l: number, t: number) => void; d: ReturnType<typeof deferred>; aborted: boolean }[] = [];
    const q = new UploadQueue((file, _nonce, progress) => {
      const d = deferred();
      const c = { name: file.name, progress, d, aborted: false };
      calls.push(c);
      return { done: d.done, abort: () => { c.aborted = true; d.reject(new ApiError(0, 'aborted', 'Upload cancelled.')); } };
    });
    q.add([new File(['a'], 'a.txt'), new File(['b'], 'b.txt'), new File(['c'], 'c.txt')]);
    expect(q.items.map((i) => i.status)).toEqual(['uploading', 'uploading', 'uploading']);
    expect(q.busy).toBe(true);
    calls[0]!.progress(1, 4);
    expect(q.items[0]!.progress).toBe(0.25);
    calls[0]!.d.resolve({ id: 'upl_a', filename: 'a.txt' } as Upload);
    calls[1]!.d.reject(new ApiError(413, 'too_big', 'too big'));
    q.remove(q.items[2]!.key);
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls[2]!.aborted).toBe(true);
    expect(q.items.map((i) => [i.name, i.status, i.error])).toEqual([
      ['a.txt', 'done', undefined],
      ['b.txt', 'failed', 'too big'],
    ]);
    expect(q.busy).toBe(false);
    expect(q.ready).toEqual([{ id: 'upl_a', filename: 'a.txt' }]);
  });
});
