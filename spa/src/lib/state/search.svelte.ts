// The search panel's state: the query, the results so far and the cursor for "load more".
// A newer search (or a reset) makes answers to older requests stale; they are dropped.
import type { SearchResult, SearchSource } from '../api/search';
import { ApiError } from '../api/client';

export const SEARCH_PAGE = 25;

export type SearchStatus = 'idle' | 'loading' | 'ready' | 'error';

export class SearchState {
  query = $state('');
  workspaceId = $state<string | null>(null);
  results = $state.raw<SearchResult[]>([]);
  nextCursor = $state<string | null>(null);
  status = $state<SearchStatus>('idle');
  loadingMore = $state(false);
  error = $state('');

  hasMore = $derived(this.nextCursor !== null);

  #source: SearchSource;
  #gen = 0;

  constructor(source: SearchSource) {
    this.#source = source;
  }

  /** Run a new search; an empty query just clears the results. */
  async run(workspaceId: string, query: string): Promise<void> {
    const gen = ++this.#gen;
    const q = query.trim();
    this.workspaceId = workspaceId;
    this.query = q;
    this.results = [];
    this.nextCursor = null;
    this.error = '';
    this.loadingMore = false;
    if (!q) {
      this.status = 'idle';
      return;
    }
    this.status = 'loading';
    try {
      const page = await this.#source.search({ workspaceId, q, limit: SEARCH_PAGE });
      if (gen !== this.#gen) return;
      this.results = page.results;
      this.nextCursor = page.next_cursor ?? null;
      this.status = 'ready';
    } catch (err) {
      if (gen !== this.#gen) return;
      this.error = describe(err);
      this.status = 'error';
    }
  }

  /** Fetch the next page and append it (results already shown are not repeated). */
  async loadMore(): Promise<void> {
    const cursor = this.nextCursor;
    const workspaceId = this.workspaceId;
    if (!cursor || !workspaceId || this.loadingMore || this.status !== 'ready') return;
    const gen = this.#gen;
    this.loadingMore = true;
    try {
      const page = await this.#source.search({ workspaceId, q: this.query, cursor, limit: SEARCH_PAGE });
      if (gen !== this.#gen) return;
      const seen = new Set(this.results.map((r) => r.id));
      this.results = [...this.results, ...page.results.filter((r) => !seen.has(r.id))];
      this.nextCursor = page.next_cursor ?? null;
    } catch (err) {
      if (gen !== this.#gen) return;
      this.error = describe(err);
    } finally {
      if (gen === this.#gen) this.loadingMore = false;
    }
  }

  reset(): void {
    this.#gen++;
    this.query = '';
    this.results = [];
    this.nextCursor = null;
    this.status = 'idle';
    this.loadingMore = false;
    this.error = '';
  }
}

function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.isNetwork) return 'The server could not be reached. Try again.';
    if (err.code === 'query_timeout' || err.status === 503) return 'The search took too long. Try a narrower query.';
    return err.message;
  }
  return 'Search failed.';
}
