import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { SearchPage, SearchParams, SearchResult, SearchSource } from '../api/search';
import { SearchState } from './search.svelte';

function hit(id: string): SearchResult {
  return {
    id, workspace_id: 'wsp_1', channel_id: 'chn_g', channel_name: 'general',
    author: { id: 'usr_a', kind: 'human', display_name: 'Ann', handle: 'ann', avatar_url: '', created_at: '' },
    thread_root_id: id, created_at: '2026-01-01T00:00:00Z', reply_count: 0, snippet: `text ${id}`, highlights: [],
  } as SearchResult;
}

class Deferred<T> {
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  promise = new Promise<T>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });
}

/** A server with `total` hits, pages of `limit`, cursors "c<offset>". */
class FakeSource implements SearchSource {
  calls: SearchParams[] = [];
  fail: unknown = null;
  constructor(public total: number) {}
  async search(p: SearchParams): Promise<SearchPage> {
    this.calls.push(p);
    if (this.fail) throw this.fail;
    const from = p.cursor ? Number(p.cursor.slice(1)) : 0;
    const limit = p.limit ?? 50;
    const results = Array.from({ length: Math.max(0, Math.min(limit, this.total - from)) }, (_, i) => hit(`msg_${from + i}`));
    const next = from + limit < this.total ? `c${from + limit}` : null;
    return { results, next_cursor: next };
  }
}

describe('SearchState', () => {
  it('pages with the cursor until there are no more results', async () => {
    const src = new FakeSource(60);
    const s = new SearchState(src);
    await s.run('wsp_1', '  deploy  ');
    expect(s.status).toBe('ready');
    expect(s.query).toBe('deploy');
    expect(s.results).toHaveLength(25);
    expect(s.hasMore).toBe(true);
    await s.loadMore();
    expect(s.results).toHaveLength(50);
    await s.loadMore();
    expect(s.results).toHaveLength(60);
    expect(s.hasMore).toBe(false);
    expect(src.calls.map((c) => c.cursor ?? null)).toEqual([null, 'c25', 'c50']);
    expect(src.calls.every((c) => c.q === 'deploy' && c.workspaceId === 'wsp_1')).toBe(true);
    expect(new Set(s.results.map((r) => r.id)).size).toBe(60);
    await s.loadMore(); // nothing left: no call
    expect(src.calls).toHaveLength(3);
  });

  it('does not repeat a result that a later page returns again', async () => {
    const src = new FakeSource(30);
    const s = new SearchState(src);
    await s.run('wsp_1', 'x');
    src.search = async () => ({ results: [hit('msg_24'), hit('msg_99')], next_cursor: null });
    await s.loadMore();
    expect(s.results.map((r) => r.id).slice(-2)).toEqual(['msg_24', 'msg_99']);
    expect(s.results.filter((r) => r.id === 'msg_24')).toHaveLength(1);
    expect(s.results).toHaveLength(26);
  });

  it('an empty query clears without asking the server', async () => {
    const src = new FakeSource(10);
    const s = new SearchState(src);
    await s.run('wsp_1', 'x');
    await s.run('wsp_1', '   ');
    expect(s.status).toBe('idle');
    expect(s.results).toEqual([]);
    expect(src.calls).toHaveLength(1);
  });

  it('drops the answer of an older search that arrives late', async () => {
    const slow = new Deferred<SearchPage>();
    const calls: string[] = [];
    const s = new SearchState({
      search: (p) => {
        calls.push(p.q);
        return p.q === 'old' ? slow.promise : Promise.resolve({ results: [hit('msg_new')], next_cursor: null });
      },
    });
    const first = s.run('wsp_1', 'old');
    await s.run('wsp_1', 'new');
    slow.resolve({ results: [hit('msg_old')], next_cursor: 'c1' });
    await first;
    expect(s.query).toBe('new');
    expect(s.results.map((r) => r.id)).toEqual(['msg_new']);
    expect(s.hasMore).toBe(false);
  });

  it('shows an error state with the server message, and a timeout as advice', async () => {
    const src = new FakeSource(10);
    src.fail = new ApiError(400, 'bad_request', 'unknown operator value is:nope');
    const s = new SearchState(src);
    await s.run('wsp_1', 'is:nope');
    expect(s.status).toBe('error');
    expect(s.error).toContain('is:nope');
    src.fail = new ApiError(503, 'query_timeout', 'timeout');
    await s.run('wsp_1', 'x*');
    expect(s.error).toMatch(/too long/);
  });

  it('keeps the results when "load more" fails, and can try again', async () => {
    const src = new FakeSource(40);
    const s = new SearchState(src);
    await s.run('wsp_1', 'x');
    src.fail = ApiError.network(new Error('down'));
    await s.loadMore();
    expect(s.results).toHaveLength(25);
    expect(s.error).toMatch(/could not be reached/);
    expect(s.hasMore).toBe(true);
    src.fail = null;
    await s.loadMore();
    expect(s.results).toHaveLength(40);
  });
});
